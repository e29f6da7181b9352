"""Typed readers for catalogue TOML fields: a wrong type becomes one problem line and an empty value."""

from __future__ import annotations

import re
from typing import Any

_LANG = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*\Z")


class Problems:
    """Collects one-line problems for one file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, entry: str, field: str, what: str) -> None:
        self.items.append(f"{self.path}: entry {entry}: field {field}: {what}")


def string(entry_id: str, t: dict[str, Any], key: str, p: Problems, where: str = "",
           required: bool = False) -> str:
    name = f"{where}.{key}" if where else key
    value = t.get(key)
    if value is None:
        if required:
            p.add(entry_id, name, "missing")
        return ""
    if not isinstance(value, str) or (required and not value):
        p.add(entry_id, name, "must be a non-empty string" if required else "must be a string")
        return ""
    return value


def strings(entry_id: str, t: dict[str, Any], key: str, p: Problems, where: str = "") -> tuple[str, ...]:
    value = t.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        p.add(entry_id, f"{where}.{key}" if where else key, "must be a list of non-empty strings")
        return ()
    return tuple(value)


def ints(entry_id: str, t: dict[str, Any], key: str, p: Problems) -> tuple[int, ...]:
    value = t.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        p.add(entry_id, key, "must be a list of integers")
        return ()
    return tuple(value)


def boolean(entry_id: str, t: dict[str, Any], key: str, p: Problems) -> bool:
    value = t.get(key, False)
    if not isinstance(value, bool):
        p.add(entry_id, key, "must be true or false")
        return False
    return value


def choice(entry_id: str, t: dict[str, Any], key: str, allowed: tuple[str, ...], default: str | None,
           p: Problems) -> str | None:
    value = t.get(key, default)
    if value not in allowed:
        shown = "missing" if value is None else f"{value!r} is not allowed"
        p.add(entry_id, key, f"{shown} (use one of: {', '.join(allowed)})")
        return None
    return str(value)


def lang_map(entry_id: str, t: dict[str, Any], key: str, p: Problems,
             required: bool = False) -> dict[str, str]:
    value = t.get(key, {})
    if not isinstance(value, dict):
        p.add(entry_id, key, "must be a table of language = text")
        return {}
    out: dict[str, str] = {}
    for lang, text in value.items():
        if not _LANG.match(lang):
            p.add(entry_id, f"{key}.{lang}", "not a language tag (e.g. en, zh-CN)")
        elif not isinstance(text, str) or not text:
            p.add(entry_id, f"{key}.{lang}", "must be a non-empty string")
        else:
            out[lang] = text
    if required and "en" not in out and not any(f"{key}.en" in item for item in p.items):
        p.add(entry_id, f"{key}.en", "missing (English is required)")
    return out


def lang_lists(entry_id: str, t: dict[str, Any], key: str, p: Problems) -> dict[str, tuple[str, ...]]:
    value = t.get(key, {})
    if not isinstance(value, dict):
        p.add(entry_id, key, "must be a table of language = [texts]")
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for lang, texts in value.items():
        if not _LANG.match(lang):
            p.add(entry_id, f"{key}.{lang}", "not a language tag (e.g. en, zh-CN)")
        elif not isinstance(texts, list) or not all(isinstance(x, str) and x for x in texts):
            p.add(entry_id, f"{key}.{lang}", "must be a list of non-empty strings")
        else:
            out[lang] = tuple(texts)
    return out

"""Load and validate catalogue TOML files into plain Entry / Limit objects.

A catalogue file is TOML whose top-level tables are entries keyed by id; the reserved table
``[limits]`` holds facts. Built-in files live in ``logparse/catalogue/data``; extra files given
by the user add entries or replace built-in ones with the same id. Every problem is reported
as ``FILE: entry ID: field F: what is wrong``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import tomllib
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from logparse import _cache
from logparse.catalogue import derive, guard
from logparse.catalogue import entry as entry_module
from logparse.catalogue._fields import (
    Problems,
    boolean,
    choice,
    ints,
    lang_lists,
    lang_map,
    string,
    strings,
)
from logparse.catalogue.entry import (
    FORMAT_NAMES,
    KINDS,
    PLATFORMS,
    SEVERITIES,
    Catalogue,
    Entry,
    Limit,
    Signature,
)
from logparse.errors import CatalogueError

LIMITS_TABLE = "limits"
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*\Z")
_ENTRY_FIELDS = frozenset({
    "kind", "title", "messages", "aliases", "platform", "causes", "surfaces_as", "int_codes",
    "status_codes", "signatures", "remediation", "doc", "examples", "negatives", "severity", "no_message",
})
_SIGNATURE_FIELDS = frozenset({"formats", "pattern", "literal", "examples", "flags"})
_LIMIT_FIELDS = frozenset({"value", "unit", "text"})


def data_files() -> list[str]:
    """The built-in catalogue files, in load order."""
    folder = resources.files("logparse.catalogue") / "data"
    return sorted(str(p) for p in folder.iterdir() if p.name.endswith(".toml"))


def load_catalogue(extra: Sequence[str | os.PathLike[str]] = ()) -> Catalogue:
    """Load the built-in catalogue plus ``extra`` files (later files override earlier ids).

    Returns:
        A Catalogue; the default one (no extras) is cached per process.

    Raises:
        CatalogueError: the first problem found, as one line naming file, entry and field.
    """
    if not extra:
        return _default_catalogue()
    return _build([*data_files(), *(os.fspath(p) for p in extra)], n_builtin=len(data_files()))


@functools.cache
def _default_catalogue() -> Catalogue:
    files = data_files()
    # Validating ~100 entries costs more than the rest of start-up; the result depends only
    # on the files' bytes, so it is cached across runs (see logparse._cache).
    code = [Path(m.__file__).read_bytes() for m in (guard, entry_module, derive) if m.__file__]
    key = _cache.key_of("catalogue", Path(__file__).read_bytes(), *code, *(Path(f).read_bytes() for f in files), *files)
    cached = _cache.load("catalogue", key)
    if isinstance(cached, Catalogue):
        return cached
    catalogue = _build(files, n_builtin=len(files))
    _cache.store("catalogue", key, catalogue)
    return catalogue


def validate_file(path: str | os.PathLike[str]) -> list[str]:
    """Every problem of one extra catalogue file, checked against the built-in catalogue.

    Also runs the timing probe on each signature. Returns an empty list when the file is valid.
    """
    path = os.fspath(path)
    problems = Problems(path)
    try:
        tables = _read(path)
    except CatalogueError as exc:
        return [str(exc)]
    builtin = _default_catalogue()
    entries, _ = _convert(tables, problems)
    merged = {**builtin.entries, **entries}
    _check_references(entries.values(), merged, problems)
    for entry in entries.values():
        for i, sig in enumerate(entry.signatures):
            if not guard.static_problems(sig.pattern, sig.flags):
                seconds = guard.slowest_probe(sig.pattern, sig.flags, sig.literal)
                if seconds > 0.25:
                    problems.add(entry.id, f"signatures[{i}].pattern",
                                 f"too slow on adversarial input ({seconds:.2f} s)")
    return problems.items


def _build(files: Sequence[str], n_builtin: int) -> Catalogue:
    digest = hashlib.sha256()
    entries: dict[str, Entry] = {}
    limits: dict[str, Limit] = {}
    all_problems: list[Problems] = []
    for index, path in enumerate(files):
        problems = Problems(path)
        all_problems.append(problems)
        tables = _read(path, digest)
        file_entries, file_limits = _convert(tables, problems)
        for entry_id in file_entries:
            if index < n_builtin and entry_id in entries:
                problems.add(entry_id, "id", f"duplicate id (also in {entries[entry_id].source})")
        entries.update(file_entries)
        limits.update(file_limits)
        _raise_first(problems)
    for problems in all_problems:
        mine = [e for e in entries.values() if e.source == problems.path]
        _check_references(mine, entries, problems)
        _raise_first(problems)
    # Derived once every file is in: whether a message is shared depends on all entries.
    return Catalogue(entries=derive.with_log_signatures(entries), limits=limits, digest=digest.hexdigest())


def _raise_first(problems: Problems) -> None:
    if problems.items:
        more = len(problems.items) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise CatalogueError(problems.items[0] + suffix)


def _read(path: str, digest: hashlib._Hash | None = None) -> dict[str, Any]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if digest is not None:
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CatalogueError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib says "... (at line 3, column 7)"; put the line first like a compiler would.
        text = str(exc)
        found = re.search(r" \(at line (\d+), column \d+\)$", text)
        if found:
            text = f"line {found.group(1)}: invalid TOML: {text[:found.start()]}"
        else:
            text = f"invalid TOML: {text}"
        raise CatalogueError(f"{path}: {text}") from None


def _convert(tables: dict[str, Any], problems: Problems) -> tuple[dict[str, Entry], dict[str, Limit]]:
    entries: dict[str, Entry] = {}
    limits: dict[str, Limit] = {}
    for key, value in tables.items():
        if key == LIMITS_TABLE:
            limits.update(_limits(value, problems))
            continue
        if not _ID.match(key):
            problems.add(key, "id", "must start with a letter and use only letters, digits, _ . -")
            continue
        if not isinstance(value, dict):
            problems.add(key, "id", "must be a table ([ID] with fields), not a plain value")
            continue
        entry = _entry(key, value, problems)
        if entry is not None:
            entries[key] = entry
    return entries, limits


def _entry(entry_id: str, t: dict[str, Any], p: Problems) -> Entry | None:
    before = len(p.items)
    for name in t.keys() - _ENTRY_FIELDS:
        p.add(entry_id, name, "unknown field")
    kind = choice(entry_id, t, "kind", KINDS, None, p)
    title = lang_map(entry_id, t, "title", p, required=True)
    messages = lang_lists(entry_id, t, "messages", p)
    no_message = boolean(entry_id, t, "no_message", p)
    if kind == "error" and not messages.get("en") and not no_message:
        p.add(entry_id, "messages.en", "an error needs its exact English message (or no_message = true)")
    examples = strings(entry_id, t, "examples", p)
    if not examples:
        p.add(entry_id, "examples", "at least one example is required")
    doc = lang_map(entry_id, t, "doc", p)
    for lang, url in doc.items():
        if not url.startswith("https://"):
            p.add(entry_id, f"doc.{lang}", "must be an https:// URL")
    signatures = _signatures(entry_id, t.get("signatures", []), p)
    aliases = strings(entry_id, t, "aliases", p)
    platform = choice(entry_id, t, "platform", PLATFORMS, "any", p)
    causes = strings(entry_id, t, "causes", p)
    surfaces_as = strings(entry_id, t, "surfaces_as", p)
    int_codes, status_codes = ints(entry_id, t, "int_codes", p), ints(entry_id, t, "status_codes", p)
    remediation = lang_lists(entry_id, t, "remediation", p)
    negatives = strings(entry_id, t, "negatives", p)
    severity = choice(entry_id, t, "severity", SEVERITIES, "error", p)
    if len(p.items) > before or kind is None or platform is None or severity is None:
        return None
    return Entry(
        id=entry_id, kind=kind, title=title, messages=messages, aliases=aliases, platform=platform,
        causes=causes, surfaces_as=surfaces_as, int_codes=int_codes, signatures=signatures,
        remediation=remediation, doc=doc, examples=examples, negatives=negatives, source=p.path,
        severity=severity, status_codes=status_codes, no_message=no_message,
    )


def _signatures(entry_id: str, raw: Any, p: Problems) -> tuple[Signature, ...]:
    if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
        p.add(entry_id, "signatures", "must be an array of tables ([[ID.signatures]])")
        return ()
    out: list[Signature] = []
    for i, s in enumerate(raw):
        where = f"signatures[{i}]"
        for name in s.keys() - _SIGNATURE_FIELDS:
            p.add(entry_id, f"{where}.{name}", "unknown field")
        formats = strings(entry_id, s, "formats", p, where)
        if not formats:
            p.add(entry_id, f"{where}.formats", "name at least one format")
        for name in formats:
            if name not in FORMAT_NAMES:
                known = ", ".join(FORMAT_NAMES)
                p.add(entry_id, f"{where}.formats", f"unknown format {name!r} (known: {known})")
        pattern = string(entry_id, s, "pattern", p, where, required=True)
        literal = string(entry_id, s, "literal", p, where, required=True)
        flags = string(entry_id, s, "flags", p, where) if "flags" in s else "i"
        examples = strings(entry_id, s, "examples", p, where)
        if not examples:
            p.add(entry_id, f"{where}.examples", "at least one example log line is required")
        if pattern:
            out_of_guard = guard.static_problems(pattern, flags)
            for problem in out_of_guard:
                p.add(entry_id, f"{where}.pattern", problem)
            if not out_of_guard:
                _check_examples(entry_id, where, pattern, flags, literal, examples, p)
        out.append(Signature(formats=formats, pattern=pattern, literal=literal, examples=examples,
                             flags=flags))
    return tuple(out)


def _check_examples(entry_id: str, where: str, pattern: str, flags: str, literal: str,
                    examples: tuple[str, ...], p: Problems) -> None:
    compiled = re.compile(pattern, guard.flag_bits(flags))
    fold = "i" in flags
    for n, example in enumerate(examples):
        found = compiled.search(example)
        if found is None:
            p.add(entry_id, f"{where}.examples[{n}]", "the pattern does not match this example")
            continue
        text, lit = (found.group(0).casefold(), literal.casefold()) if fold else (found.group(0), literal)
        if lit not in text:
            p.add(entry_id, f"{where}.literal", f"{literal!r} is not inside the match of examples[{n}]")


def _check_references(entries: Iterable[Entry], known: dict[str, Entry], p: Problems) -> None:
    aliases: dict[str, str] = {}
    for entry in known.values():
        for alias in entry.aliases:
            aliases.setdefault(alias.casefold(), entry.id)
    ids = {i.casefold(): i for i in known}
    for entry in entries:
        for cause in entry.causes:
            target = known.get(cause)
            if target is None or target.kind != "cause":
                p.add(entry.id, "causes", f"unknown cause id {cause!r}")
        for code in entry.surfaces_as:
            target = known.get(code)
            if target is None or target.kind != "error":
                p.add(entry.id, "surfaces_as", f"unknown error id {code!r}")
        for alias in entry.aliases:
            owner = ids.get(alias.casefold())
            if owner is not None and owner != entry.id:
                p.add(entry.id, "aliases", f"{alias!r} is the id of another entry")
            elif aliases.get(alias.casefold(), entry.id) != entry.id:
                p.add(entry.id, "aliases", f"{alias!r} is also an alias of {aliases[alias.casefold()]}")


def _limits(raw: Any, p: Problems) -> dict[str, Limit]:
    out: dict[str, Limit] = {}
    if not isinstance(raw, dict):
        p.add(LIMITS_TABLE, LIMITS_TABLE, "must be a table of [limits.ID] tables")
        return out
    for limit_id, t in raw.items():
        name = f"{LIMITS_TABLE}.{limit_id}"
        if not isinstance(t, dict):
            p.add(name, "value", "must be a table with value, unit and text")
            continue
        for field in t.keys() - _LIMIT_FIELDS:
            p.add(name, field, "unknown field")
        value = t.get("value")
        if isinstance(value, list) and all(isinstance(v, int) for v in value):
            value = tuple(value)
        elif not isinstance(value, int | float | str) or isinstance(value, bool):
            p.add(name, "value", "must be a number, a string or a list of integers")
            continue
        text = lang_map(name, t, "text", p, required=True)
        out[limit_id] = Limit(id=limit_id, value=value, unit=string(name, t, "unit", p) or "",
                              text=text, source=p.path)
    return out

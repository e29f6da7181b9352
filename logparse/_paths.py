"""Member names in a bundle: safe paths, rotation order, and the names collectors give cut files."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable

MiB = 1024**2

# Sizes at which collectors cut a file to its tail; a member of exactly this size was cut.
COLLECTOR_CAPS = {
    30 * MiB: "size equals waagent -collect-logs' 30 MiB per-file cap",
    25 * MiB: "size equals sosreport's default 25 MiB --log-size",
}


_DRIVE = re.compile(r"^[A-Za-z]:/?")


def glob_matcher(patterns: Iterable[str]) -> Callable[[str], bool]:
    """``any(fnmatch.fnmatchcase(name, p) for p in patterns)`` as one compiled regex: a directory of
    bundles asks every format about every file name, and a pattern at a time cost ~20 ms per 200."""
    alternatives = [fnmatch.translate(pattern) for pattern in patterns]
    if not alternatives:
        return lambda name: False
    match = re.compile("|".join(alternatives)).match
    return lambda name: match(name) is not None


def normalise(name: str) -> tuple[str | None, str | None]:
    """``(path, None)`` for a safe member name, else ``(None, reason)``.

    Backslashes become slashes and a Windows drive letter is dropped (Windows collectors write
    ``C:\\WindowsAzure\\...``), but a leading ``/`` or any ``..`` is refused: GNU tar strips those
    unless told not to, so they mark a hostile or careless archive.
    """
    text = _DRIVE.sub("", name.replace("\\", "/"), count=1)
    if text.startswith("/"):
        return None, "absolute path"
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        return None, "path traversal"
    if not parts:
        return None, None
    return "/".join(parts), None


def input_name(text: str) -> str:
    """A top-level file's own path as a member path: what path-based format detection sees."""
    parts = [p for p in text.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    return _DRIVE.sub("", "/".join(parts)) or text


_COMPRESSED = re.compile(r"\.(?:gz|zst|bz2|xz)$", re.IGNORECASE)
_NUMBERED = re.compile(r"^(?P<stem>.+?)\.(?P<n>\d{1,4})$")
_DATED = re.compile(r"^(?P<stem>.+?)-(?P<date>\d{4}-?\d{2}-?\d{2})(?:-(?P<extra>\d{1,12}))?$")


def rotation_key(path: str) -> tuple[str, int, int, int]:
    """``(logical path, group, a, b)``: sorting puts a file's rotations oldest first.

    ``waagent.log.6.gz`` .. ``waagent.log.1`` (logrotate numbering), then dated rotations
    ``waagent.log-2024-05-01-1714567890.gz`` by date and epoch (agent 2.2.46+ ``dateext``), then
    the live ``waagent.log``. A version-like name (``ext-1.5.2``) is not a numbered rotation.
    """
    base = _COMPRESSED.sub("", path)
    numbered = _NUMBERED.match(base)
    if numbered and not re.search(r"\.\d+$", numbered["stem"]):
        return numbered["stem"], 0, -int(numbered["n"]), 0
    dated = _DATED.match(base)
    if dated:
        return dated["stem"], 1, int(dated["date"].replace("-", "")), int(dated["extra"] or 0)
    return base, 2, 0, 0


def order(path: str) -> tuple[tuple[str, int, int, int], str]:
    return rotation_key(path), path


# Where the collectors' flattened names come from: the first match wins.
_TREES = ("var/log/azure/", "var/lib/waagent/", "var/log/", "etc/")
_VERSION_DIR = re.compile(r"^(\d+(?:\.\d+)+)[._](.+)$")
_LAST_FILE = re.compile(r"^(?P<dir>.+?)\.(?P<file>[^.]+\.[A-Za-z]+(?:\.\d+)?)$")


def collector_truncation(path: str, size: int | None = None) -> tuple[str, str | None]:
    """Map a collector's stored name for a cut file back to its logical path, with the reason.

    ``waagent -collect-logs`` stores the tail of an oversized ``/var/log/syslog.1`` as
    ``truncated__var_log_syslog.1`` (it flattens ``/`` to ``_``, so the double underscore is
    real); sosreport keeps the tail of ``/var/log/waagent.log`` as
    ``sos_strings/azure/var.log.waagent.log.tailed`` and leaves a symlink where the file was.
    """
    head, _, base = path.rpartition("/")
    if base.startswith("truncated_") and len(base) > len("truncated_"):
        original = _unflatten(base[len("truncated_") :].lstrip("_"), "_")
        reason = f"cut by waagent -collect-logs (stored as {base})"
        return (f"{head}/{original}" if head else original), reason
    root, marker, rest = path.rpartition("sos_strings/")
    if marker and base.endswith(".tailed") and "/" in rest:
        original = _unflatten(base[: -len(".tailed")], ".")
        return f"{root}{original}", f"tail kept by sosreport's size limit (stored as {marker}{rest})"
    return path, COLLECTOR_CAPS.get(size) if size is not None else None


def _unflatten(flat: str, sep: str) -> str:
    """Undo ``path.replace("/", sep)`` where the directory tree is known; keep the rest as is."""
    for tree in _TREES:
        flat_tree = tree.replace("/", sep)
        if not flat.startswith(flat_tree):
            continue
        rest = flat[len(flat_tree) :]
        if tree != "var/log/azure/":
            return tree + rest
        # /var/log/azure/<Publisher.Type>[/<version>]/<file>: extension names hold dots, never "_".
        if sep == "_":
            ext, _, file = rest.partition("_")
        else:
            match = _LAST_FILE.match(rest)
            ext, file = (match["dir"], match["file"]) if match else ("", rest)
        version = _VERSION_DIR.match(file) if sep == "_" else None
        if version:
            file = f"{version[1]}/{version[2]}"
        return tree + (f"{ext}/{file}" if ext else file)
    return flat

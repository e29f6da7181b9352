"""Batch inputs: bundles, directories of bundles, globs, fsspec URLs and ``@list.txt`` files, as one sorted list.

A directory is one bundle when it looks like a collected tree (``var/``, ``etc/``, ``WindowsAzure/``,
``Packages/`` at its top, or a file a log format claims by its name, such as ``waagent.log`` or
``ticket.txt``). Otherwise it holds bundles: archives (by name or magic bytes) and bundle trees
below it. A directory given on the command line that holds neither is triaged as one bundle, so
nothing named by the user disappears silently.
"""

from __future__ import annotations

import codecs
import glob
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from logparse.errors import LogparseError

BUNDLE_SUFFIXES = (".tar", ".tgz", ".tar.gz", ".tbz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz", ".tar.zst",
                   ".tzst", ".zip", ".gz", ".zst", ".bz2", ".xz")
TREE_MARKERS = frozenset({"var", "etc", "windowsazure", "packages", "eventlogs"})
MAX_DEPTH = 8
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(frozen=True)
class Input:
    """One bundle to triage: where it is, its size (for progress) and a stamp that changes with it."""

    location: str  # absolute path or fsspec URL
    size: int
    stamp: str | None  # size and mtime (or etag): a re-run skips a done input without reading it


def is_url(text: str) -> bool:
    return bool(_URL.match(text))


def expand(inputs: Iterable[str]) -> tuple[list[Input], list[str]]:
    """Every bundle the inputs name, each once, sorted by location; and warnings (no match, unreadable)."""
    found: dict[str, Input] = {}
    warnings: list[str] = []
    for text in inputs:
        for item in _expand_one(text, warnings, listed=False):
            found.setdefault(item.location, item)
    return [found[k] for k in sorted(found)], warnings


def _expand_one(text: str, warnings: list[str], *, listed: bool) -> Iterator[Input]:
    if text.startswith("@") and not listed:
        yield from _expand_list(text[1:], warnings)
    elif is_url(text):
        yield from _expand_url(text, warnings)
    elif os.path.lexists(text):
        yield from _expand_path(os.path.abspath(text), warnings, top=True)
    elif glob.has_magic(text):
        matches = sorted(glob.glob(text, recursive=True))
        if not matches:
            warnings.append(f"{text}: no match")
        for match in matches:
            yield from _expand_path(os.path.abspath(match), warnings, top=True)
    else:
        warnings.append(f"{text}: no such file or directory")


def _expand_list(path: str, warnings: list[str]) -> Iterator[Input]:
    """A list file: one input per line (blank lines and ``#`` comments skipped), relative to the cwd."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise LogparseError(f"@{path}: cannot read the list ({exc.strerror or exc})") from exc
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = raw.decode("utf-16")  # Windows PowerShell's `> list.txt`
    else:
        # utf-8-sig: Notepad's BOM is no part of the first path; surrogateescape: a path that
        # is not UTF-8 (Latin-1 names) still names its file.
        text = raw.decode("utf-8-sig", errors="surrogateescape")
    lines = text.splitlines()
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            yield from _expand_one(line, warnings, listed=True)


def _expand_path(path: str, warnings: list[str], *, top: bool, depth: int = 0) -> Iterator[Input]:
    try:
        st = os.stat(path)
    except OSError as exc:
        warnings.append(f"{path}: {exc.strerror or exc}")
        return
    if not stat.S_ISDIR(st.st_mode):
        if not stat.S_ISREG(st.st_mode):  # a FIFO or a device would be read for ever
            warnings.append(f"{path}: not a regular file or a directory, skipped")
            return
        yield Input(path, st.st_size, _stamp(st))
        return
    if _is_tree(path):
        # A tree's mtime says nothing about files deep inside: no stamp, it is hashed each run.
        yield Input(path, _tree_size(path), None)
        return
    inside: list[Input] = []
    if depth < MAX_DEPTH:
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError as exc:
            warnings.append(f"{path}: {exc.strerror or exc}")
            entries = []
        ignored: list[str] = []
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                found = list(_expand_path(entry.path, warnings, top=False, depth=depth + 1))
                inside.extend(found)
                if not found:
                    ignored.append(entry.name + "/")
            elif entry.is_file(follow_symlinks=False) and _looks_like_bundle(entry.path):
                st = entry.stat()
                inside.append(Input(entry.path, st.st_size, _stamp(st)))
            elif entry.is_file(follow_symlinks=False) or entry.is_symlink():
                ignored.append(entry.name)
            elif not entry.is_dir(follow_symlinks=False):
                warnings.append(f"{entry.path}: not a regular file or a directory, skipped")  # a FIFO, a socket
        if inside and ignored:
            # Said once per directory, with a count: a manifest beside every bundle is common clutter,
            # but a bundle saved under an unexpected name must not vanish without a word.
            shown = ", ".join(ignored[:5]) + (f" and {len(ignored) - 5} more" if len(ignored) > 5 else "")
            warnings.append(f"{path}: {len(ignored)} entr{'y' if len(ignored) == 1 else 'ies'} not taken as bundles "
                            f"(no archive, compressed file or log tree; links are not followed): {shown}")
    if inside:
        yield from inside
    elif top:
        yield Input(path, _tree_size(path), None)


def _stamp(st: os.stat_result) -> str:
    """What says a file is unchanged: size, mtime and ctime (a copy over it with the old mtime set
    back, touch -d, still moves the ctime)."""
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def _is_tree(path: str) -> bool:
    from logparse import formats

    try:
        with os.scandir(path) as listing:
            entries = list(listing)
    except OSError:
        return False
    for entry in entries:
        name = entry.name.lower()
        if entry.is_dir(follow_symlinks=False):
            if name in TREE_MARKERS:
                return True
        elif not name.endswith(BUNDLE_SUFFIXES) or ".log" in name:  # an archive is no marker, a rotated log is
            if formats.detect_path(name) is not None:
                return True
    return False


def _looks_like_bundle(path: str) -> bool:
    """An archive or compressed file, by name or by its first bytes (corrupt ones too, when named so)."""
    if path.lower().endswith(BUNDLE_SUFFIXES):
        return True
    from logparse import _streams

    try:
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError:
        return False
    return _streams.compression_of(head) is not None or _streams.archive_of(head) is not None


def _tree_size(path: str) -> int:
    total = 0
    for root, dirs, names in os.walk(path):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
        for name in names:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                total += st.st_size
    return total


def _expand_url(url: str, warnings: list[str]) -> Iterator[Input]:
    """Files behind an fsspec URL: one file, a glob, or a directory (its archives, by name)."""
    try:
        import fsspec
    except ImportError as exc:
        raise LogparseError(f"{url}: reading URLs needs fsspec: pip install 'logparse[dask]'") from exc
    try:
        fs, path = fsspec.core.url_to_fs(url)
    except ImportError as exc:  # the protocol's own package (s3fs, adlfs, aiohttp) is missing
        raise LogparseError(f"{url}: {exc}") from exc
    except (OSError, ValueError) as exc:
        warnings.append(f"{url}: {exc}")
        return
    try:
        if glob.has_magic(path):
            infos: list[dict[str, Any]] = list(fs.glob(path, detail=True).values())
        else:
            infos = [fs.info(path)]
        found = 0
        for info in infos:
            if info.get("type") == "directory":
                for sub in fs.find(info["name"], detail=True).values():
                    if str(sub["name"]).lower().endswith(BUNDLE_SUFFIXES):
                        found += 1
                        yield _url_input(fs, sub)
            else:
                found += 1
                yield _url_input(fs, info)
        if not found:
            warnings.append(f"{url}: no match")
    except (OSError, ValueError) as exc:
        warnings.append(f"{url}: {exc}")


def _url_input(fs: Any, info: dict[str, Any]) -> Input:
    size = int(info.get("size") or 0)
    mark = next((info[k] for k in ("ETag", "etag", "mtime", "LastModified", "last_modified", "created")
                 if info.get(k) is not None), None)
    return Input(fs.unstrip_protocol(info["name"]), size, f"{size}:{mark}" if mark is not None else None)

"""A small on-disk cache of derived data (compiled grammar tables, the parsed catalogue).

Start-up matters: a support engineer runs ``logparse`` dozens of times a day and batch runs
call it per bundle. Entries are pickles keyed by a hash of everything they derive from plus
the logparse version, kept in ``$LOGPARSE_CACHE_DIR`` or ``~/.cache/logparse``; any problem
(read-only home, a corrupt file) silently falls back to rebuilding. ``LOGPARSE_CACHE_DIR=off``
disables it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

_VERSION = "1"


def _folder() -> Path | None:
    setting = os.environ.get("LOGPARSE_CACHE_DIR")
    if setting == "off":
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "logparse"


def key_of(*parts: str | bytes) -> str:
    digest = hashlib.sha256(_VERSION.encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()[:32]


def load(kind: str, key: str) -> Any | None:
    folder = _folder()
    if folder is None:
        return None
    try:
        with open(folder / f"{kind}-{key}.pickle", "rb") as fh:
            return pickle.load(fh)
    except Exception:  # noqa: BLE001 - a missing or unreadable cache entry just means rebuild
        return None


def store(kind: str, key: str, value: Any) -> None:
    folder = _folder()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a concurrent reader never sees half a file.
        with tempfile.NamedTemporaryFile("wb", dir=folder, delete=False, suffix=".tmp") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(fh.name, folder / f"{kind}-{key}.pickle")
    except Exception:  # noqa: BLE001 - caching is an optimisation, never a failure
        return

"""SQLite store of a batch: one row per bundle (keyed by content hash) and its findings, evidence, files, templates.

Every bundle is written in one transaction, so a batch killed at any point leaves whole bundles
only, and a re-run can trust every row it finds. Child tables are keyed by the bundle's digest,
not by an insertion id, so two runs that finish bundles in another order (a process pool, a Dask
cluster) still write the same rows.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from logparse.errors import LogparseError

SCHEMA_VERSION = 1

_TEMPLATE_INDEX = "CREATE INDEX IF NOT EXISTS templates_template ON templates (template, level)"

# A run keeps the template index when it adds fewer than 1/_KEEP_INDEX_BELOW of the bundles stored:
# keeping it costs ~0.5 ms per added bundle, rebuilding it ~0.07 ms per stored one.
_KEEP_INDEX_BELOW = 8

_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running',  -- running | complete | interrupted
    engine TEXT NOT NULL,
    jobs INTEGER,
    inputs INTEGER,
    triaged INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    options TEXT,
    logparse_version TEXT
);
CREATE TABLE bundles (
    digest TEXT PRIMARY KEY,        -- sha256 of the content; 'path:<location>' when it could not be read
    location TEXT NOT NULL,         -- where it was triaged (other copies: sources)
    size INTEGER,
    status TEXT NOT NULL,           -- ok | error
    error TEXT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    triaged_at TEXT NOT NULL,
    seconds REAL,
    bytes INTEGER,
    files_analyzed INTEGER,
    first_time TEXT,
    last_time TEXT,
    warnings TEXT,                  -- JSON list
    stats TEXT                      -- JSON object (triage stats)
);
CREATE TABLE sources (
    location TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    size INTEGER,
    stamp TEXT,                     -- size and mtime (or etag) when seen: a re-run skips it unread
    run_id INTEGER
);
CREATE TABLE findings (
    digest TEXT NOT NULL, finding_id TEXT NOT NULL, kind TEXT, confidence REAL, severity TEXT, title TEXT,
    doc TEXT, evidence_count INTEGER, reasons TEXT,
    PRIMARY KEY (digest, finding_id)
);
CREATE TABLE finding_causes (
    digest TEXT NOT NULL, finding_id TEXT NOT NULL, cause_id TEXT NOT NULL, confidence REAL,
    PRIMARY KEY (digest, finding_id, cause_id)
);
CREATE TABLE evidence (
    digest TEXT NOT NULL, finding_id TEXT NOT NULL, seq INTEGER NOT NULL, path TEXT, line INTEGER, text TEXT,
    timestamp TEXT, source TEXT,
    PRIMARY KEY (digest, finding_id, seq)
);
CREATE TABLE files (
    digest TEXT NOT NULL, seq INTEGER NOT NULL, path TEXT, format TEXT, status TEXT, reason TEXT,
    lines INTEGER, truncated INTEGER,
    PRIMARY KEY (digest, seq)
);
CREATE TABLE templates (
    digest TEXT NOT NULL, seq INTEGER NOT NULL, level TEXT, template TEXT, count INTEGER,
    example_path TEXT, example_line INTEGER, example_text TEXT,
    PRIMARY KEY (digest, seq)
);
CREATE TABLE versions (
    digest TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,
    latest INTEGER NOT NULL,        -- 1: the highest version of this name in the bundle (what runs now)
    PRIMARY KEY (digest, kind, name, version)
);
CREATE INDEX bundles_status ON bundles (status);
CREATE INDEX sources_digest ON sources (digest);
CREATE INDEX findings_id ON findings (finding_id, confidence);
CREATE INDEX causes_id ON finding_causes (cause_id, confidence);
CREATE INDEX templates_template ON templates (template, level);  -- rebuilt at the end of each run, see begin_run
CREATE INDEX versions_name ON versions (kind, name, latest, version);
CREATE INDEX files_format ON files (format, status);
"""

# Child tables of a bundle, cleared before a bundle is written again (--retry-errors).
_CHILDREN = ("findings", "finding_causes", "evidence", "files", "templates", "versions")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def run_gone(options: str | None, host: str | None = None) -> bool:
    """Whether a run recorded as running was started on this host by a process that is gone.

    Another machine's run, or one whose process is still there (or a new one has its pid), is not.
    """
    try:
        owner = json.loads(options or "{}")
    except ValueError:
        return False
    pid = owner.get("pid") if isinstance(owner, dict) else None
    return owner.get("host") == (host or socket.gethostname()) and isinstance(pid, int) and not _alive(pid)


def connect(path: str | Path, *, create: bool = False) -> sqlite3.Connection:
    """Open a batch database, creating the schema when ``create`` and the file is new.

    Raises:
        LogparseError: not a logparse database, or one of another schema version.
    """
    if not create and not Path(path).is_file():
        raise LogparseError(f"{path}: no such database")
    if create and Path(path).is_dir():
        raise LogparseError(f"{path}: is a directory; --db names the database file")
    if create and not Path(path).parent.is_dir():
        raise LogparseError(f"{path}: the directory {Path(path).parent} does not exist")
    try:
        # Read what the file is before changing anything in it: another program's database
        # must not come out of a refused run in WAL mode, nor an empty file with a header.
        conn = sqlite3.connect(path, isolation_level=None)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "schema_version" not in tables:
            conn.close()
            raise LogparseError(f"{path}: not a logparse batch database (no schema_version table)")
        if not tables and not create:
            conn.close()
            raise LogparseError(f"{path}: not a logparse batch database (empty)")
        if tables:
            _check_version(conn, path)  # before any setting is written into someone else's file
        if create:  # a writer's settings; WAL stays with the file, a reader needs none of them
            _writer_settings(conn)
        conn.execute("PRAGMA busy_timeout=10000")
    except sqlite3.DatabaseError as exc:
        raise LogparseError(f"{path}: not a SQLite database ({exc})") from exc
    if not tables:
        # Two runs may start on one new file at once: whichever gets the lock second finds the
        # schema made (IF NOT EXISTS) and the version row there, which is checked as any other.
        conn.executescript(f"BEGIN IMMEDIATE; {_if_not_exists(_SCHEMA)} INSERT INTO schema_version "
                           f"SELECT {SCHEMA_VERSION} WHERE NOT EXISTS (SELECT 1 FROM schema_version); COMMIT;")
        _check_version(conn, path)
    return conn


def _check_version(conn: sqlite3.Connection, path: str | Path) -> None:
    try:
        row = conn.execute("SELECT version FROM schema_version").fetchone()
    except sqlite3.DatabaseError as exc:  # a schema_version table of another shape
        conn.close()
        raise LogparseError(f"{path}: not a logparse batch database ({exc})") from exc
    if row is None or row[0] != SCHEMA_VERSION:
        conn.close()
        found = row[0] if row else "none"
        raise LogparseError(f"{path}: schema version {found}, this logparse reads version {SCHEMA_VERSION}")


def _writer_settings(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: a commit survives a killed process (not a power cut) without an fsync each.
    conn.execute("PRAGMA synchronous=NORMAL")
    # A checkpoint (WAL pages copied back, with an fsync) every 1,000 pages came every few
    # bundles and doubled the cost of a commit; every 10,000 (~40 MB of WAL) it is rare.
    conn.execute("PRAGMA wal_autocheckpoint=10000")


def _if_not_exists(schema: str) -> str:
    return schema.replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ").replace(
        "CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ")


def _printable(value: Any) -> Any:
    """``value`` with every string made storable: bytes that are not UTF-8 in a file name (kept by
    Python as lone surrogates, which SQLite refuses) become ``\\xNN``."""
    if isinstance(value, str):
        try:
            return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a surrogate that is no escaped byte
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {k: _printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(v) for v in value]
    return value


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (the connection is in autocommit mode)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        self.conn.execute("COMMIT" if kind is None else "ROLLBACK")


class _Checkpointer:
    """A thread that copies committed WAL pages into the database file every ``interval`` seconds.

    The WAL of a run (~40 MB for 200 bundles: each commit rewrites its partly filled pages) was
    copied back when the store closed: 70 ms at the end of every run, most of it waiting on the
    disk. Done as the run goes, the waiting overlaps the triage and the last copy is small.
    """

    def __init__(self, path: str, interval: float) -> None:
        self._stop = threading.Event()
        self._now = threading.Event()
        self._mode = "PASSIVE"  # of the checkpoint asked for with now()
        self._thread = threading.Thread(target=self._loop, args=(path, interval), name="logparse-checkpoint",
                                        daemon=True)
        self._thread.start()

    def _loop(self, path: str, interval: float) -> None:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA synchronous=NORMAL")
            while True:
                asked = self._now.wait(interval)
                self._now.clear()
                if self._stop.is_set():
                    break
                # On the interval PASSIVE: copies what no reader still needs, never waits for the
                # writer. Asked for by now(), the mode it names (Store.last_bundles says which).
                conn.execute(f"PRAGMA wal_checkpoint({self._mode if asked else 'PASSIVE'})")
        except sqlite3.Error:
            pass  # the final checkpoint at close copies whatever is left
        finally:
            conn.close()

    def now(self, mode: str = "PASSIVE") -> None:
        """Checkpoint at once instead of at the next interval (``TRUNCATE``: and empty the WAL)."""
        self._mode = mode
        self._now.set()

    def stop(self) -> None:
        self._stop.set()
        self._now.set()
        self._thread.join()


class Store:
    """The writer side of a batch database (one process writes; readers may look at any time)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.conn = connect(path, create=True)
        self._checkpointer: _Checkpointer | None = None

    def close(self) -> None:
        self.stop_checkpoints()
        self.conn.close()

    def start_checkpoints(self, interval: float = 0.5) -> None:
        """Copy the WAL into the database file in the background while a run writes."""
        if self._checkpointer is None:
            self._checkpointer = _Checkpointer(self.path, interval)

    def stop_checkpoints(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None

    def begin_run(self, engine: str, jobs: int | None, inputs: int, options: dict[str, Any],
                  adding: int | None = None) -> int:
        """A new row in ``runs``; earlier runs of this host whose process is gone become ``interrupted``.

        ``adding``: how many bundles the run may add at most (None: unknown, as many as it likes).
        """
        from logparse import __version__

        # Who runs it, so that a later run can tell a killed run from one still going.
        host = socket.gethostname()
        owner = {"pid": os.getpid(), "host": host}
        with _transaction(self.conn):
            self._interrupted(host)
            # Each bundle adds ~100 template rows with long text keys: kept up to date, this index
            # dirtied ~100 scattered pages per commit (60% of a bundle's write, ~0.5 ms). It is
            # dropped while the run writes and built once at its end (~0.07 ms per bundle stored,
            # sorting every row); a killed run leaves it out until the next run ends (queries stay
            # right, only slower). A run that adds a few bundles to a large database keeps it: a
            # rebuild of every row would cost more than keeping those few up to date.
            if adding is None or adding * _KEEP_INDEX_BELOW >= self._stored():
                self.conn.execute("DROP INDEX IF EXISTS templates_template")
            cursor = self.conn.execute(
                "INSERT INTO runs (started_at, engine, jobs, inputs, options, logparse_version) VALUES (?,?,?,?,?,?)",
                (now(), engine, jobs, inputs, json.dumps({**options, **owner}, sort_keys=True), __version__))
        return int(cursor.lastrowid or 0)

    def _stored(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM bundles").fetchone()[0])

    def _interrupted(self, host: str) -> None:
        for run_id, text in self.conn.execute("SELECT id, options FROM runs WHERE status = 'running'").fetchall():
            if run_gone(text, host):
                self.conn.execute("UPDATE runs SET status = 'interrupted' WHERE id = ?", (run_id,))

    def last_bundles(self, idle: bool = False) -> None:
        """The run's last bundles are in flight: build the template index and copy the WAL back now,
        while they are triaged, so that finishing the run has only their own pages left to write.

        ``idle``: this process writes nothing for a while (it triages the last bundle itself). The
        checkpoint then also empties the WAL, which deleting at close cost ~18 ms (the kernel waits
        for its pages in write-back); emptying it holds the write lock, so when a worker's result may
        come any moment it is left to the close instead.
        """
        with _transaction(self.conn):
            self.conn.execute(_TEMPLATE_INDEX)
        if self._checkpointer is not None:
            self._checkpointer.now("TRUNCATE" if idle else "PASSIVE")

    def finish_run(self, run_id: int, status: str, counts: dict[str, int]) -> None:
        self.stop_checkpoints()
        if self.conn.in_transaction:  # Ctrl-C came between a BEGIN and its end
            self.conn.execute("ROLLBACK")
        triaged, failed = counts.get("triaged", 0), counts.get("failed", 0)
        if status != "complete":
            # A Ctrl-C between a bundle's commit and its count: the rows are the truth.
            (triaged, failed), = self.conn.execute(
                "SELECT coalesce(sum(status='ok'), 0), coalesce(sum(status='error'), 0) FROM bundles WHERE run_id=?",
                (run_id,)).fetchall()
        with _transaction(self.conn):
            self.conn.execute(_TEMPLATE_INDEX)
            self.conn.execute(
                "UPDATE runs SET finished_at=?, status=?, triaged=?, skipped=?, failed=? WHERE id=?",
                (now(), status, triaged, counts.get("skipped", 0) + counts.get("duplicate", 0), failed, run_id))

    def done(self, *, retry_errors: bool = False) -> set[str]:
        """Digests that need no new triage (failed ones too, unless ``retry_errors``)."""
        query = "SELECT digest FROM bundles WHERE digest NOT LIKE 'path:%'"
        if retry_errors:
            query += " AND status = 'ok'"
        return {row[0] for row in self.conn.execute(query)}

    def failed_before(self, run_id: int, locations: set[str]) -> int:
        """How many of ``locations`` hold content whose triage failed in a run before ``run_id``."""
        rows = self.conn.execute("SELECT s.location, b.digest FROM sources s JOIN bundles b ON b.digest = s.digest "
                                 "WHERE b.status = 'error' AND b.run_id != ?", (run_id,))
        return len({digest for location, digest in rows if location in locations})

    def stamps(self) -> dict[str, tuple[str, str]]:
        """location -> (stamp, digest) of every input seen with a stamp."""
        rows = self.conn.execute("SELECT location, stamp, digest FROM sources WHERE stamp IS NOT NULL")
        return {location: (stamp, digest) for location, stamp, digest in rows}

    def write(self, result: dict[str, Any], run_id: int, stamp: str | None = None) -> str:
        """Record one result of ``batch.analyse_bundle`` in one transaction.

        Returns:
            What happened: ``triaged``, ``failed``, ``skipped`` (done before) or ``duplicate``
            (same content as a bundle triaged under another location).
        """
        try:
            return self._write(result, run_id, stamp)
        except UnicodeEncodeError:  # rolled back: the same result again, its names escaped
            return self._write(_printable(result), run_id, _printable(stamp))

    def _write(self, result: dict[str, Any], run_id: int, stamp: str | None) -> str:
        digest: str = result["digest"]
        location: str = result["location"]
        with _transaction(self.conn) as conn:
            # A location that could not be read before and now can: its placeholder row goes.
            placeholder = f"path:{location}"
            stale = conn.execute("SELECT 1 FROM bundles WHERE digest=?", (placeholder,)).fetchone()
            if stale and digest != placeholder:
                self._delete(conn, placeholder)
            if result["status"] == "skipped":
                self._source(conn, result, run_id, stamp)
                return "skipped"
            existing = conn.execute("SELECT status FROM bundles WHERE digest=?", (digest,)).fetchone()
            if existing is not None and existing[0] == "ok":
                self._source(conn, result, run_id, stamp)
                return "duplicate"
            if existing is not None:
                self._delete(conn, digest)
            self._bundle(conn, result, run_id)
            if not digest.startswith("path:"):
                self._source(conn, result, run_id, stamp)
        return "triaged" if result["status"] == "ok" else "failed"

    @staticmethod
    def _delete(conn: sqlite3.Connection, digest: str) -> None:
        conn.execute("DELETE FROM bundles WHERE digest=?", (digest,))
        for table in _CHILDREN:
            conn.execute(f"DELETE FROM {table} WHERE digest=?", (digest,))  # noqa: S608 - fixed names

    @classmethod
    def _source(cls, conn: sqlite3.Connection, result: dict[str, Any], run_id: int, stamp: str | None) -> None:
        before = conn.execute("SELECT digest FROM sources WHERE location=?", (result["location"],)).fetchone()
        conn.execute("INSERT OR REPLACE INTO sources VALUES (?,?,?,?,?)",
                     (result["location"], result["digest"], result.get("size"), stamp, run_id))
        # Content found under several names is one bundle, named by the first of them in sort
        # order: whichever worker finished first, --jobs 1, 2 or a Dask run store the same row.
        conn.execute("UPDATE bundles SET location=(SELECT min(location) FROM sources WHERE digest=?1) "
                     "WHERE digest=?1", (result["digest"],))
        if before is None or before[0] == result["digest"]:
            return
        # The location holds other content now (a failed download fetched again, a bundle
        # collected anew): the old content stays under a location that still holds it, or
        # leaves the fleet view.
        other = conn.execute("SELECT min(location) FROM sources WHERE digest=?", (before[0],)).fetchone()[0]
        if other is None:
            cls._delete(conn, before[0])
        else:
            conn.execute("UPDATE bundles SET location=? WHERE digest=? AND location=?",
                         (other, before[0], result["location"]))

    @staticmethod
    def _bundle(conn: sqlite3.Connection, r: dict[str, Any], run_id: int) -> None:
        d = r["digest"]
        conn.execute(
            "INSERT INTO bundles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (d, r["location"], r.get("size"), r["status"], r.get("error"), run_id, now(), r.get("seconds"),
             r.get("bytes"), r.get("files_analyzed"), r.get("first_time"), r.get("last_time"),
             json.dumps(r.get("warnings") or [], ensure_ascii=False),
             json.dumps(r.get("stats") or {}, ensure_ascii=False, sort_keys=True)))
        findings = r.get("findings") or []
        _many(conn, "findings", [
            (d, f["id"], f["kind"], f["confidence"], f["severity"], f["title"], f["doc"], f["evidence_count"],
             json.dumps(f["reasons"], ensure_ascii=False)) for f in findings])
        _many(conn, "finding_causes", [
            (d, f["id"], c["id"], c["confidence"]) for f in findings for c in f["causes"]])
        _many(conn, "evidence", [
            (d, f["id"], i, e["path"], e["line"], e["text"], e["timestamp"], e["source"])
            for f in findings for i, e in enumerate(f["evidence"])])
        _many(conn, "files", [
            (d, i, f["path"], f["format"], f["status"], f["reason"], f["lines"], int(f["truncated"]))
            for i, f in enumerate(r.get("files") or [])])
        _many(conn, "templates", [
            (d, i, t["level"], t["template"], t["count"], t["example_path"], t["example_line"], t["example_text"])
            for i, t in enumerate(r.get("templates") or [])])
        _many(conn, "versions", [(d, v["kind"], v["name"], v["version"], int(v["latest"]))
                                 for v in r.get("versions") or []])


def _many(conn: sqlite3.Connection, table: str, rows: Iterable[tuple[Any, ...]]) -> None:
    rows = list(rows)
    if rows:
        marks = ",".join("?" * len(rows[0]))
        conn.executemany(f"INSERT OR IGNORE INTO {table} VALUES ({marks})", rows)  # noqa: S608 - fixed names

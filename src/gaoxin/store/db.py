"""The embedded DuckDB store: where the database lives, how it is opened, and its schema migrations.

``Store(path, mode)`` is the one way every surface opens the database:

* ``mode="read"`` opens DuckDB read-only and never migrates; a store whose
  schema is behind this gaoxin says so and names ``gaoxin migrate``.
* ``mode="write"`` takes DuckDB's single writer lock and applies missing
  migrations (forward-only numbered SQL files in ``store/migrations``, each
  in its own transaction).

DuckDB lets one process write a file, or several processes read it, never
both.  A store held by another process is retried for a bounded time
(``GAOXIN_STORE_WAIT`` seconds, default 10) and then refused with a Chinese and
English message naming the holding process — never a raw lock error.  A
long-lived owner (the web server) keeps one write connection and serves
concurrent reads through :meth:`Store.cursor`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import time
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Literal

import duckdb

from gaoxin.store.sql import memory_setting

DEFAULT_DB = "gaoxin.duckdb"
DEFAULT_WAIT_S = 10.0
Mode = Literal["read", "write"]


class StoreError(RuntimeError):
    """A store that cannot be opened as asked; the message says why and what to do (zh / en)."""


class StoreBusy(StoreError):
    def __init__(self, path: Path, pid: int | None, command: str | None, waited: float) -> None:
        self.path, self.pid, self.command = path, pid, command
        who = f"进程 {pid}" + (f"（{command}）" if command else "") if pid else "另一个进程"
        who_en = f"process {pid}" + (f" ({command})" if command else "") if pid else "another process"
        if is_server(command):
            hint_zh, hint_en = (f"gaoxin serve（进程 {pid}）运行期间独占数据库：请通过网页或 API 读写数据，"
                                "或先停止服务",
                                f"while gaoxin serve (process {pid}) runs it owns the store: read and write "
                                "through the web page or the API, or stop the server")
        else:
            hint_zh, hint_en = "请等待其完成后重试", "wait for it to finish, then try again"
        super().__init__(
            f"数据库正被{who}占用，已等待 {waited:.0f} 秒：{path}。{hint_zh}。\n"
            f"The store {path} is held by {who_en}; waited {waited:.0f} s. {hint_en[:1].upper() + hint_en[1:]}.")


def is_server(command: str | None) -> bool:
    """Whether a holder's command line is ``gaoxin serve`` (however it was started)."""
    words = (command or "").split()
    return any(Path(w).name == "gaoxin" and words[i + 1:i + 2] == ["serve"] for i, w in enumerate(words))


class DiskFull(StoreError):
    """No room to write a file: ENOSPC (the disk or its quota) or EFBIG (a file-size limit).

    Raised for the store, its WAL, DuckDB's temp dir ``<store>.tmp`` and every output file,
    always after the transaction was rolled back (or the half-written output removed), so
    the message can say that nothing of the command was kept.
    """

    def __init__(self, path: str | os.PathLike, reason: str, *, output: bool | None = False) -> None:
        self.path, self.reason = Path(path), reason
        zh, en = {True: ("文件未写入", "the file was not written"),
                  False: ("本次未保存任何数据，已有数据保持原样",
                          "nothing of this command was stored, earlier data are intact"),
                  None: ("写入未完成", "the write did not complete")}[output]
        super().__init__(f"磁盘已满 / disk full ({reason}): {path} — {zh} / {en}. "
                         "请腾出空间后重试 / free some space and try again.")


_NO_SPACE = re.compile(r"No space left on device|Disk quota exceeded|File too large|disk is full", re.IGNORECASE)
_FILE_IN_MESSAGE = re.compile(r'file "([^"]+)"')
_TEMP_FULL = "max_temp_directory_size"  # in DuckDB's "failed to offload data block" error
_FULL_ERRNOS = {errno.ENOSPC: "no space left on device", errno.EFBIG: "file too large",
                errno.EDQUOT: "disk quota exceeded"}


def disk_full(e: BaseException, path: str | os.PathLike | None, *, output: bool | None = False) -> DiskFull | None:
    """``e`` as a :class:`DiskFull` naming the file it could not write, or None when it is another error.

    DuckDB reports a full disk as an IO, transaction or fatal error whose text
    holds the OS's message and the file (``Could not write file "…wal": No space
    left on device``), or, for its spill files in ``<store>.tmp``, as an out-of-memory
    error naming ``max_temp_directory_size`` (by default the free space there);
    Python's writers raise OSError with ENOSPC / EFBIG.
    """
    if isinstance(e, DiskFull):
        return e
    if isinstance(e, OSError) and e.errno in _FULL_ERRNOS:
        return DiskFull(e.filename or path or "?", _FULL_ERRNOS[e.errno], output=output)
    text = str(e)
    if isinstance(e, duckdb.OutOfMemoryException) and _TEMP_FULL in text:
        # DuckDB's spill files ran out of room: by default its limit is the free space where they live
        return DiskFull(f"{path}.tmp" if path else "temp_directory", "no space left for DuckDB's temp files",
                        output=output)
    m = _NO_SPACE.search(text) if isinstance(e, duckdb.Error | OSError) else None
    if not m:
        return None
    f = _FILE_IN_MESSAGE.search(text)
    return DiskFull(f.group(1) if f else (path or "?"), m.group(0).lower(), output=output)


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back if a transaction is still open; never masks the error that led here.

    After a failed COMMIT DuckDB has already ended the transaction ("cannot
    rollback - no transaction is active"), and after a fatal IO error it has
    invalidated the database: either way there is nothing left to undo.
    """
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def store_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The file of ``con``'s database (None in memory): what a disk-full message names by default."""
    rows = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return Path(rows[0][0]) if rows and rows[0][0] else None


@contextlib.contextmanager
def atomic(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, all or nothing, also on KeyboardInterrupt; a full disk is one :class:`DiskFull`.

    A COMMIT that fails (its WAL or checkpoint cannot be written) has stored
    nothing: DuckDB writes the WAL record or the new database header last.
    """
    path = store_file(con)
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException as e:
        rollback(con)
        full = disk_full(e, path)
        if full is not None:
            raise full from e
        raise
    commit(con, path)


def commit(con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
    """COMMIT; when it fails, end the transaction and raise a full disk as :class:`DiskFull`."""
    try:
        con.execute("COMMIT")
    except duckdb.Error as e:
        rollback(con)
        full = disk_full(e, path)
        if full is not None:
            raise full from e
        raise


def db_path(path: str | os.PathLike | None = None) -> Path:
    """``--db PATH`` wins, then the ``GAOXIN_DB`` environment variable, then ./gaoxin.duckdb."""
    return Path(path or os.environ.get("GAOXIN_DB") or DEFAULT_DB)


def default_wait() -> float:
    raw = os.environ.get("GAOXIN_STORE_WAIT")
    try:
        return float(raw) if raw else DEFAULT_WAIT_S
    except ValueError:
        raise StoreError(f"GAOXIN_STORE_WAIT 应为秒数 / must be a number of seconds, not {raw!r}") from None


def memory_limit() -> str:
    """DuckDB's memory limit for a writer: ``GAOXIN_MEMORY_LIMIT`` (e.g. ``4GB``), else half the RAM, at most 8 GB.

    Ingest holds a raw-cell table that DuckDB spills beyond the limit, so peak memory
    is bounded by it (docs/benchmarks.md: 1.63× DuckDB's own read at 10M rows with 1.5 GB).
    """
    raw = os.environ.get("GAOXIN_MEMORY_LIMIT")
    if raw:
        return raw
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        half_gb = pages * size / 2 / 2**30
    except (ValueError, OSError):
        half_gb = 2.0
    return f"{max(0.5, min(8.0, half_gb)):.1f}GB"


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped with the package, in order."""
    out = []
    for f in resources.files("gaoxin.store").joinpath("migrations").iterdir():
        m = re.match(r"(\d+)_(.+)\.sql$", f.name)
        if m:
            out.append((int(m.group(1)), m.group(2), f.read_text("utf-8")))
    return sorted(out)


def latest_version() -> int:
    return max(v for v, _, _ in migrations())


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The store's schema version (0 for an empty database); never writes."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version' "
                         "AND table_schema = 'main'").fetchall()[0][0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]


def applied_versions(con: duckdb.DuckDBPyConnection) -> set[int]:
    """The migration versions recorded in the store (empty for an empty database); never writes."""
    if schema_version(con) == 0:
        return set()
    return {int(v) for (v,) in con.execute("SELECT version FROM schema_version").fetchall()}


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration the store has not recorded, in order; return the schema version afterwards.

    Missing ones are applied even below the store's highest version: migrations developed in parallel may
    land in any order, and a store upgraded in between must still get the one that landed later.
    """
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name VARCHAR,"
                " applied_at TIMESTAMP DEFAULT current_timestamp)")
    done = applied_versions(con)
    for version, name, sql in migrations():
        if version in done:
            continue
        with atomic(con):
            con.execute(sql)
            con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [version, name])
    return schema_version(con)


_LOCK_RE = re.compile(r"Conflicting lock is held in (?P<exe>.*?) \(PID (?P<pid>\d+)\)")


def _holder(message: str) -> tuple[int | None, str | None]:
    """PID and command line of the process DuckDB says holds the lock."""
    m = _LOCK_RE.search(message)
    if not m:
        return None, None
    pid = int(m.group("pid"))
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        words = [Path(a.decode(errors="replace")).name if i == 0 else a.decode(errors="replace")
                 for i, a in enumerate(argv) if a]
        if len(words) > 1 and words[0].startswith("python"):
            words = words[1:]
            if words[0] == "-m" and len(words) > 1:  # python -m gaoxin …
                words = words[1:]
        if words and words[0].endswith("gaoxin"):
            words[0] = "gaoxin"
        return pid, " ".join(words)[:120] or m.group("exe")
    except OSError:
        return pid, m.group("exe")


def _is_lock_error(e: Exception) -> bool:
    return isinstance(e, duckdb.IOException) and "lock" in str(e).lower()


DUCKDB_MAGIC = b"DUCK"  # bytes 8–12 of every DuckDB database file


def check_store_file(path: Path) -> None:
    """A store path must be a DuckDB database or not exist: anything else is refused and left untouched.

    DuckDB 2 opens a CSV, Parquet or JSON file given as a database as if it were
    one, and the next write would replace it; an easy ``--db`` typo must not
    cost a file.
    """
    if path.is_dir():
        raise StoreError(f"数据库路径是一个目录 / the store path is a directory: {path}")
    if not path.exists():
        return
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError as e:
        raise StoreError(f"无法读取数据库文件 / cannot read the store {path}: {e.strerror}") from None
    if head[8:12] != DUCKDB_MAGIC:
        raise StoreError(f"不是 gaoxin 数据库（DuckDB 文件），未作改动：{path}。请检查 --db。\n"
                         f"{path} is not a gaoxin store (a DuckDB file); it was left untouched. Check --db.")


class Store:
    """An open gaoxin database (see module docstring); use as a context manager."""

    def __init__(self, path: str | os.PathLike | None = None, mode: Mode = "read", *, wait: float | None = None,
                 on_wait: Callable[[float, int | None, str | None], None] | None = None) -> None:
        if mode not in ("read", "write"):
            raise ValueError(f"mode must be 'read' or 'write', not {mode!r}")
        self.path = db_path(path)
        self.mode: Mode = mode
        self.con = self._open(self.path, mode, default_wait() if wait is None else wait, on_wait)

    @staticmethod
    def _connect(path: Path, mode: Mode) -> duckdb.DuckDBPyConnection:
        if mode == "read":
            return duckdb.connect(str(path), read_only=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(path))

    def _open(self, path: Path, mode: Mode, wait: float, on_wait) -> duckdb.DuckDBPyConnection:
        check_store_file(path)
        try:
            limit = memory_setting(memory_limit()) if mode == "write" else None
        except ValueError as e:
            raise StoreError(f"GAOXIN_MEMORY_LIMIT: {e}") from None
        if mode == "read" and not path.exists():
            raise StoreError(f"数据库不存在：{path}。请先运行 gaoxin ingest 或 gaoxin demo。\n"
                             f"No store at {path}: run `gaoxin ingest` or `gaoxin demo` first.")
        t0 = time.monotonic()
        while True:
            try:
                con = self._connect(path, mode)
                break
            except duckdb.Error as e:
                full = disk_full(e, path)
                if full is not None:
                    raise full from None
                if not _is_lock_error(e):
                    raise StoreError(f"无法打开数据库 / cannot open the store {path}: {e}") from None
                pid, cmd = _holder(str(e))
                waited = time.monotonic() - t0
                if waited >= wait:
                    raise StoreBusy(path, pid, cmd, waited) from None
                if on_wait:
                    on_wait(waited, pid, cmd)
                time.sleep(min(0.2, max(wait - waited, 0.01)))
        con.execute("SET enable_progress_bar = false")  # our own Rich progress is shown instead
        if limit:  # a writer's large ingest spills to <store>.tmp instead of growing with the file
            con.execute(limit)
        try:
            self._check_schema(con, mode)
        except BaseException as e:
            con.close()
            full = disk_full(e, path)
            if full is not None:  # a migration that found no room
                raise full from None
            raise
        return con

    def _check_schema(self, con: duckdb.DuckDBPyConnection, mode: Mode) -> None:
        have, want = schema_version(con), latest_version()
        if have > want:
            raise StoreError(f"数据库结构版本 {have} 比本程序（{want}）新，请升级 gaoxin。\n"
                             f"The store's schema version {have} is newer than this gaoxin's ({want}): "
                             "upgrade gaoxin.")
        if mode == "write":
            migrate(con)
        elif have < want or {v for v, _, _ in migrations()} - applied_versions(con):
            raise StoreError(f"数据库结构版本 {have} 落后于 {want}：请运行 gaoxin migrate 升级 {self.path}。\n"
                             f"The store's schema is at version {have}, this gaoxin needs {want}: "
                             f"run `gaoxin migrate --db {self.path}` to upgrade it.")

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of this connection: concurrent readers of one owning process (the web server)."""
        return self.con.cursor()

    def view(self) -> Store:
        """A Store over a new cursor of this connection, for one request or job thread of the owning process.

        DuckDB connections are not shared across threads; cursors are.  Services take the view like any
        Store; closing it closes only the cursor.  A write in one view is seen by the others once committed.
        """
        v = object.__new__(Store)
        v.path, v.mode, v.con = self.path, self.mode, self.con.cursor()
        return v

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: commit on success, roll back on any exception (also Ctrl-C); see :func:`atomic`."""
        self.require_write()
        with atomic(self.con) as con:
            yield con

    def require_write(self) -> None:
        if self.mode != "write":
            raise StoreError("此操作需要写模式打开数据库 / this action needs the store opened for writing")

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(path: str | os.PathLike | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A bare connection (tests, benchmarks): ``Store(path, 'read' | 'write').con`` without the wrapper."""
    return Store(path, "read" if read_only else "write").con

"""Exports: frames to .csv / .xlsx / .parquet, formulas neutralised, never over the store, always audited.

A file is written whole or not at all: into a temporary file beside the
target, audited, then renamed over it, so a full disk, an error or a kill
never leaves a half-written file at the target (docs/reliability.md, Disks).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from gaoxin.store import audit
from gaoxin.store.db import DiskFull, Store, db_path, disk_full

if TYPE_CHECKING:
    import pandas as pd

FORMATS = (".csv", ".xlsx", ".parquet")


class ExportError(ValueError):
    pass


__all__ = ["FORMATS", "DiskFull", "ExportError", "as_user_error", "check_target", "disk_full", "record",
           "replacing", "write_beside", "write_frame", "write_sheets"]


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """Text cells a spreadsheet would run as a formula get a leading apostrophe (``gaoxin.cells``)."""
    from gaoxin.cells import safe_frame

    return safe_frame(df)


def check_target(path: Path, store_file: Path | None) -> Path:
    """Refuse an output path with an unknown suffix or that resolves to the store or its WAL."""
    if path.suffix.lower() not in FORMATS:
        raise ExportError(f"输出文件须为 {', '.join(FORMATS)} / --out must end in {', '.join(FORMATS)}: {path}")
    if store_file is not None:
        target = Path(os.path.realpath(path))
        db = Path(os.path.realpath(store_file))
        if target in (db, db.with_name(db.name + ".wal")):
            raise ExportError(f"输出文件不能是数据库本身 / the output would overwrite the store: {path}")
    return path


def record(store: Store | Path | None, action: str, target: str, **detail) -> None:
    """Audit an export: on an open write store directly, else by opening the store at a path just for the row.

    DuckDB refuses a read and a write connection to one file in one process, so
    a caller holding a read store closes it and passes its path.
    """
    if store is None:
        return
    if isinstance(store, Store):
        if store.mode != "write":
            raise ValueError("close the read store and pass its path to audit an export")
        audit.record(store.con, action, target, **detail)
        return
    with Store(db_path(store), "write") as w, w.transaction() as con:  # a full disk: DiskFull, no row
        audit.record(con, action, target, **detail)


def as_user_error(e: BaseException, path: Path | None = None) -> Exception | None:
    """An OSError or DuckDB error as the user's one-line error (a full disk, an unwritable path), else None."""
    if not isinstance(e, OSError) and e.args and isinstance(e.args[0], OSError):
        e = e.args[0]  # xlsxwriter's FileCreateError wraps the OSError of its final write
    full = disk_full(e, path, output=True)
    if full is not None:
        return full
    if isinstance(e, OSError):
        where = e.filename or path
        return ExportError(f"无法写入 / cannot write {where}: {e.strerror or e}")
    return None


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` that replaces it only once complete (same folder: rename is atomic).

    Any failure (a full disk, an error, Ctrl-C) removes the temporary file and leaves
    ``path`` as it was; OS errors become one-line user errors. A symlink at ``path`` is
    replaced by the file, never written through.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _not_a_folder(path)  # the rename would fail after the audit row was written
    except OSError as e:
        raise as_user_error(e, path) from None  # type: ignore[misc]
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.part{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        mapped = as_user_error(e, path)
        if mapped is not None:
            raise mapped from None
        raise


def write_beside(path: Path, write: Callable[[Path], list[Path]],
                 audit: Callable[[list[Path]], None] | None = None) -> list[Path]:
    """Run ``write(p)`` (a writer of one or more files named after ``p``) in a temporary folder beside
    ``path``, ``audit`` the final paths, then move the files next to ``path``: all files or none, and
    never one without its audit row (the rejection report).

    Errors stay OSErrors (the caller decides what a failed report means; xlsxwriter's wrapper is
    unwrapped), a full disk met by the audit is DiskFull; the folder is removed whatever happens.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    _not_a_folder(path)
    work = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    work.mkdir()
    try:
        written = write(work / path.name)
        final = [path.with_name(p.name) for p in written]
        for f in final:
            _not_a_folder(f)
        if audit is not None:
            try:
                audit(final)
            except Exception as e:
                if (full := disk_full(e, None)) is not None:
                    raise full from e
                raise
        for src, dst in zip(written, final, strict=True):
            os.replace(src, dst)
        return final
    except Exception as e:
        if not isinstance(e, OSError) and e.args and isinstance(e.args[0], OSError):
            raise e.args[0] from e  # xlsxwriter's FileCreateError: the OSError of its final write
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _not_a_folder(path: Path) -> None:
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "输出路径是一个文件夹 / the output path is a folder", str(path))


def write_frame(df: pd.DataFrame, path: Path, store: Store | Path | None = None, **detail) -> Path:
    """Write ``df`` by the path's suffix, whole or not at all; audited when a store is given."""
    check_target(path, _store_file(store))
    with replacing(path) as tmp:
        if path.suffix.lower() == ".xlsx":
            _xlsx({"data": df}, tmp)
        elif path.suffix.lower() == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            neutralise(df).to_csv(tmp, index=False, encoding="utf-8-sig")
        record(store, "export", str(path), rows=len(df), **detail)  # before the rename: never an unaudited file
    return path


def write_sheets(sheets: dict[str, pd.DataFrame], path: Path, store: Store | Path | None = None, **detail) -> Path:
    """An .xlsx workbook, one sheet per frame, header row frozen, columns wide enough for CJK text."""
    check_target(path, _store_file(store))
    if path.suffix.lower() != ".xlsx":
        raise ExportError(f"工作簿须为 .xlsx / a workbook needs .xlsx: {path}")
    with replacing(path) as tmp:
        _xlsx(sheets, tmp)
        record(store, "export", str(path), sheets=list(sheets), **detail)
    return path


def _xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    import pandas as pd

    with pd.ExcelWriter(path, engine="xlsxwriter") as xw:
        for name, df in sheets.items():
            sheet = name[:31]
            neutralise(df).to_excel(xw, sheet_name=sheet, index=False)
            ws = xw.sheets[sheet]
            ws.freeze_panes(1, 0)
            for i, c in enumerate(df.columns):
                cells = [str(c), *df[c].head(200).map(lambda v: "" if v is None else str(v))]
                width = max(_display_width(x) for x in cells)
                ws.set_column(i, i, min(max(width + 2, 8), 60))


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _store_file(store: Store | Path | None) -> Path | None:
    if store is None:
        return None
    return store.path if isinstance(store, Store) else db_path(store)

"""Errors of the ingest stage. Every message names the file (and row/column where known)."""

from __future__ import annotations


class ReadError(Exception):
    """A file could not be read at all (encoding, format, no recognisable header).

    ``zh`` and ``en`` carry the message in Chinese and English.
    """

    def __init__(self, file: str, en: str, zh: str, row: int | None = None, column: str | None = None):
        self.file, self.en, self.zh, self.row, self.column = file, en, zh, row, column
        where = file + (f", row {row}" if row else "") + (f", column {column}" if column else "")
        super().__init__(f"{where}: {zh} / {en}")

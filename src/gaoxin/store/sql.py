"""The one place that puts an identifier (a table or column name) into SQL text.

Values never go through here: they are bound parameters.  Identifiers cannot
be bound, so they come only from the schema or the data contract, are checked
against the names the caller allows, and are quoted by doubling quotes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


class UnknownIdentifier(ValueError):
    pass


def ident(name: str, allowed: Iterable[str]) -> str:
    """``name`` quoted for SQL, if it is one of ``allowed`` (the schema's or the contract's names)."""
    if name not in set(allowed):
        raise UnknownIdentifier(f"not a known table or column: {name!r}")
    return '"' + name.replace('"', '""') + '"'


_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


def memory_setting(value: str) -> str:
    """``SET memory_limit = '…'`` for a size such as ``1.5GB`` (SET takes no bound parameters: checked here)."""
    if not _SIZE.match(value.strip()):
        raise ValueError(f"内存上限应为如 1.5GB 的大小 / memory limit must be a size like 1.5GB, not {value!r}")
    return f"SET memory_limit = '{value.strip()}'"


def idents(names: Iterable[str], allowed: Iterable[str], sep: str = ", ") -> str:
    allowed = set(allowed)
    return sep.join(ident(n, allowed) for n in names)

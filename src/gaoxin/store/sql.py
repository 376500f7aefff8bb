"""The one place that puts an identifier (a table or column name) into SQL text.

Values never go through here: they are bound parameters.  Identifiers cannot
be bound, so they come only from the schema or the data contract, are checked
against the names the caller allows, and are quoted by doubling quotes.
"""

from __future__ import annotations

from collections.abc import Iterable


class UnknownIdentifier(ValueError):
    pass


def ident(name: str, allowed: Iterable[str]) -> str:
    """``name`` quoted for SQL, if it is one of ``allowed`` (the schema's or the contract's names)."""
    if name not in set(allowed):
        raise UnknownIdentifier(f"not a known table or column: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def idents(names: Iterable[str], allowed: Iterable[str], sep: str = ", ") -> str:
    allowed = set(allowed)
    return sep.join(ident(n, allowed) for n in names)

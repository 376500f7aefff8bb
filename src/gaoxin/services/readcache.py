"""A small in-process LRU for the read API: results that depend only on immutable ids (evaluation id,
snapshot id) are computed once and served from memory (issue #10 §5: 500 requests/s, p95 ≤ 50 ms).

Keys carry the store file and the store's version token (newest snapshot and evaluation ids,
``store.reads.version``), so a new snapshot or evaluation invalidates every entry of that store at once.
Entries are shared between threads and must be treated as read-only by callers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from gaoxin.store.db import Store

T = TypeVar("T")
MAX_ENTRIES = 2048

_lock = threading.Lock()
_entries: OrderedDict[Hashable, Any] = OrderedDict()


TOKEN_TTL_S = 0.25  # a new snapshot or evaluation is seen by the caches within this time


_tokens: dict[str, tuple[float, Any]] = {}


def token(store: Store) -> tuple[str, tuple[int, ...]]:
    """Which store, and which of its versions: part of every key.

    Asked of the store at most every ``TOKEN_TTL_S`` per store file (at 500 requests/s, 4 queries a
    second instead of one per request); a new snapshot, evaluation or publication is seen within that."""
    import time

    from gaoxin.store import reads

    path, now = str(store.path), time.monotonic()
    memo = _tokens.get(path)
    if memo is not None and now - memo[0] < TOKEN_TTL_S:
        return memo[1]
    tok = (path, reads.version(store.con))
    _tokens[path] = (now, tok)
    return tok


def cached(store: Store, kind: str, key: Hashable, compute: Callable[[], T], *, tok: Any = None) -> T:
    """``compute()`` once per (store version, kind, key); later calls return the same object."""
    full = (tok if tok is not None else token(store), kind, key)
    with _lock:
        if full in _entries:
            _entries.move_to_end(full)
            return _entries[full]
    value = compute()  # outside the lock: two threads may compute the same entry once each, harmlessly
    with _lock:
        _entries[full] = value
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()
        _tokens.clear()

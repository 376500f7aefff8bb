"""Server-side sessions, kept in the server process (decision 0029).

The cookie holds only a random token; the server keeps token → (user, the account's epoch at login,
CSRF token, created, last seen).  A session ends at logout, after ``idle`` without a request, and as
soon as the account's epoch moves on (password, role or scope change, disabling).  The accounts are
cached here and the cache is refreshed by every change the server makes — the server is the store's
one writer, so no other process can change an account while it runs, and sessions do not outlive it:
a change made with ``gaoxin users`` while the server is stopped meets no session when it starts.
Tokens are kept as SHA-256 digests, so a memory dump does not hand out live cookies.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from gaoxin.services.access import Access


@dataclass
class Session:
    user: str
    epoch: int
    csrf: str
    created: float
    last_seen: float


@dataclass(frozen=True)
class Account:
    """What a request needs of an account: who it is and the epoch its sessions must match."""

    access: Access
    epoch: int
    disabled: bool


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    """Thread-safe session table with an account cache; ``load(name)`` reads an account from the store."""

    def __init__(self, idle_seconds: float, load: Callable[[str], Account | None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.idle, self._load, self._clock = idle_seconds, load, clock
        self._sessions: dict[str, Session] = {}
        self._accounts: dict[str, Account | None] = {}
        self._lock = threading.Lock()

    def open(self, user: str, epoch: int) -> tuple[str, Session]:
        """A new session: (the cookie's token, the session with its CSRF token)."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        s = Session(user, epoch, secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._sweep(now)
            self._sessions[_digest(token)] = s
        return token, s

    def resolve(self, token: str | None) -> tuple[Session, Access] | None:
        """The live session of ``token`` and its user's current access (touching it), or None (ended)."""
        if not token:
            return None
        key, now = _digest(token), self._clock()
        with self._lock:
            s = self._sessions.get(key)
            if s is None:
                return None
            if now - s.last_seen > self.idle:
                del self._sessions[key]
                return None
        account = self.account(s.user)
        if account is None or account.disabled or account.epoch != s.epoch:
            self.end(token)
            return None
        s.last_seen = now
        return s, account.access

    def account(self, name: str) -> Account | None:
        with self._lock:
            if name in self._accounts:
                return self._accounts[name]
        acc = self._load(name)
        with self._lock:
            self._accounts[name] = acc
        return acc

    def refresh(self, name: str) -> None:
        """Forget the cached account (after a change): sessions of an older epoch end at their next request."""
        with self._lock:
            self._accounts.pop(name, None)
            acc = None
        acc = self._load(name)
        with self._lock:
            self._accounts[name] = acc
            if acc is None or acc.disabled:
                self._drop(lambda s: s.user == name)
            else:
                self._drop(lambda s: s.user == name and s.epoch != acc.epoch)

    def end(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(_digest(token), None)

    def count(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _drop(self, which: Callable[[Session], bool]) -> None:
        for k in [k for k, s in self._sessions.items() if which(s)]:
            del self._sessions[k]

    def _sweep(self, now: float) -> None:
        self._drop(lambda s: now - s.last_seen > self.idle)


def load_account(store, name: str) -> Account | None:
    """The account ``name`` as the session table caches it (None when there is none)."""
    from gaoxin.services.accounts import access_of
    from gaoxin.store import accounts

    row = accounts.get(store.con, name)
    return None if row is None else Account(access_of(row), row.epoch, row.disabled)

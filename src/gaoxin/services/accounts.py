"""Accounts: add, change, disable and authenticate users (issue #10 §2); every change is audited.

Passwords are hashed with Argon2id at OWASP's parameters (m = 19 MiB, t = 2, p = 1; Password Storage
Cheat Sheet): a sign-in took 0.1 s and 19 MiB on the shared 2-core machine under load, where
argon2-cffi's default (RFC 9106's second choice: 64 MiB, t = 3, p = 4) took 0.9 s and needs 64 MiB per
concurrent sign-in (bench/sessions.py, decision 0029).  A change of password,
role or scope and disabling move the account's ``epoch`` on, which ends its sessions (decision 0029).
Roles and what they see: :mod:`gaoxin.services.access`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import cache

from gaoxin.services.access import ROLES, Access
from gaoxin.services.errors import InputError
from gaoxin.store import accounts as rows
from gaoxin.store import audit
from gaoxin.store.db import Store

NAME = re.compile(r"^[\w.@-]{1,64}$")
MIN_PASSWORD, MAX_PASSWORD = 8, 1024
SCOPED = {"zone": "zones", "bank": "zones", "province": "provinces"}  # roles that need a scope, and which


@cache
def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)  # Argon2id (the type's default)


@cache
def _dummy_hash() -> str:
    """Verified against for unknown names, so a wrong name costs as long as a wrong password."""
    return _hasher().hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher().hash(password)


def check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InputError(f"密码长度应为 {MIN_PASSWORD}–{MAX_PASSWORD} 个字符 / a password has "
                         f"{MIN_PASSWORD}–{MAX_PASSWORD} characters")


def generate_password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, 96 bits


@dataclass(frozen=True)
class Scope:
    role: str
    zones: list[str]
    provinces: list[str]


def check_scope(store: Store, role: str, zones: list[str] | None, provinces: list[str] | None) -> Scope:
    """A role with the zones / provinces it needs, each existing; clear zh + en errors otherwise."""
    from gaoxin.ingest.contract import provinces as known_provinces
    from gaoxin.services.access import zone_provinces

    if role not in ROLES:
        raise InputError(f"未知角色 {role!r}，可选：{', '.join(ROLES)} / unknown role {role!r}; "
                         f"roles: {', '.join(ROLES)}")
    zs = sorted({z.strip() for z in zones or [] if z.strip()})
    ps = sorted({p.strip() for p in provinces or [] if p.strip()})
    need = SCOPED.get(role)
    if need != "zones" and zs:
        raise InputError(f"角色 {role} 不设园区（--zones 仅用于 zone、bank） / role {role} takes no zones "
                         "(--zones is for zone and bank)")
    if need != "provinces" and ps:
        raise InputError(f"角色 {role} 不设省份（--provinces 仅用于 province） / role {role} takes no provinces "
                         "(--provinces is for province)")
    if need == "zones":
        if not zs:
            raise InputError(f"角色 {role} 须指定园区，如 --zones GX001,GX002 / role {role} needs zones, "
                             "e.g. --zones GX001,GX002")
        known = zone_provinces(store)
        unknown = [z for z in zs if z not in known]
        if unknown:
            raise InputError(f"园区不存在于最新快照：{', '.join(unknown)} / zones not in the latest snapshot: "
                             f"{', '.join(unknown)}")
    if need == "provinces":
        if not ps:
            raise InputError("角色 province 须指定省份代码，如 --provinces 44 / role province needs provinces, "
                             "e.g. --provinces 44")
        bad = [p for p in ps if not re.fullmatch(r"\d{2}", p) or p not in known_provinces()]
        if bad:
            raise InputError(f"省份代码应为 GB/T 2260 两位代码（如 11 北京、44 广东）：{', '.join(bad)} / province "
                             f"codes are GB/T 2260 two-digit codes (11 Beijing, 44 Guangdong): {', '.join(bad)}")
    return Scope(role, zs, ps)


def check_name(name: str) -> str:
    if not NAME.fullmatch(name or ""):
        raise InputError(f"用户名应为 1–64 个字母、数字或 . _ @ - / a user name has 1–64 letters, digits or "
                         f". _ @ -: {name!r}")
    return name


def get(store: Store, name: str) -> rows.UserRow:
    row = rows.get(store.con, name)
    if row is None:
        raise InputError(f"用户不存在 / no such user: {name!r}")
    return row


def list_users(store: Store) -> list[dict]:
    return [r.public() for r in rows.listing(store.con)]


def add_user(store: Store, name: str, role: str, password: str, zones: list[str] | None = None,
             provinces: list[str] | None = None) -> dict:
    store.require_write()
    check_name(name)
    scope = check_scope(store, role, zones, provinces)
    hashed = hash_password(password)
    with store.transaction() as con:
        if rows.get(con, name) is not None:
            raise InputError(f"用户已存在 / user already exists: {name!r}")
        rows.insert(con, name, scope.role, scope.zones, scope.provinces, hashed)
        audit.record(con, "user add", name, role=scope.role, zones=scope.zones, provinces=scope.provinces)
    return get(store, name).public()


def change_user(store: Store, name: str, *, role: str | None = None, zones: list[str] | None = None,
                provinces: list[str] | None = None, disabled: bool | None = None,
                password: str | None = None) -> dict:
    """Change what is given; any change of role, scope, password or disabling ends the user's sessions."""
    store.require_write()
    old = get(store, name)
    new_role = role or old.role
    scope = None
    if role is not None or zones is not None or provinces is not None:
        keep = new_role == old.role
        scope = check_scope(store, new_role,
                            zones if zones is not None else (list(old.zones) if keep else None),
                            provinces if provinces is not None else (list(old.provinces) if keep else None))
    hashed = hash_password(password) if password is not None else None
    with store.transaction() as con:
        if old.role == "admin" and not old.disabled and (disabled or new_role != "admin") \
                and rows.count_enabled(con, "admin") <= 1:
            raise InputError("不能停用或降级最后一个管理员 / cannot disable or demote the last admin")
        rows.update(con, name, role=scope.role if scope else None, zones=scope.zones if scope else None,
                    provinces=scope.provinces if scope else None, password_hash=hashed, disabled=disabled)
        changed = {k: v for k, v in (("role", scope.role if scope else None),
                                     ("zones", scope.zones if scope else None),
                                     ("provinces", scope.provinces if scope else None),
                                     ("disabled", disabled)) if v is not None}
        action = ("user passwd" if hashed and not changed else
                  "user disable" if disabled is True and len(changed) == 1 else
                  "user enable" if disabled is False and len(changed) == 1 else "user change")
        audit.record(con, action, name, **changed, password_changed=hashed is not None)
    return get(store, name).public()


def authenticate(store: Store, name: str, password: str) -> rows.UserRow | None:
    """The enabled account whose password this is, or None (as slow for an unknown name as for a wrong one)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    row = rows.get(store.con, name) if NAME.fullmatch(name or "") else None
    try:
        _hasher().verify(row.password_hash if row else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.disabled:
        return None
    return row


def access_of(row: rows.UserRow) -> Access:
    return Access(row.name, row.role, frozenset(row.zones), frozenset(row.provinces))  # type: ignore[arg-type]

"""``gaoxin users``: web accounts from the command line (the same service the admin page calls).

While ``gaoxin serve`` runs it owns the store, so these commands get the busy message and the admin
page is the way; with the server stopped, a change here moves the account's epoch on, so no session
opened before it survives (decision 0029).  Every change is audited.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from gaoxin.cli import render
from gaoxin.cli.app import DbOpt, JsonOpt, app, open_store
from gaoxin.cli.render import console

users_app = typer.Typer(help="网页账户 / web accounts: add, list, disable, enable, passwd, change",
                        no_args_is_help=True)
app.add_typer(users_app, name="users")

ZonesOpt = Annotated[str | None, typer.Option("--zones", help="园区代码，逗号分隔 / zone ids, comma-separated "
                                              "(roles zone, bank)")]
ProvincesOpt = Annotated[str | None, typer.Option("--provinces", help="省份代码（GB/T 2260 两位），逗号分隔 / "
                                                  "two-digit province codes (role province)")]
GenerateOpt = Annotated[bool, typer.Option("--generate", help="生成密码并只显示一次 / generate a password, shown once")]
StdinOpt = Annotated[bool, typer.Option("--password-stdin", help="从标准输入读取密码 / read the password from stdin")]


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [t.strip() for t in text.split(",") if t.strip()]


def _password(generate: bool, stdin: bool) -> tuple[str, bool]:
    """(password, generated): generated, one line of stdin, or prompted twice without echo."""
    from gaoxin.services.accounts import check_password, generate_password

    if generate:
        return generate_password(), True
    if stdin:
        pw = sys.stdin.readline().rstrip("\r\n")
    else:
        pw = typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True, err=True)
    check_password(pw)
    return pw, False


def _shown_once(password: str) -> None:
    render.out.print(f"生成的密码（只显示这一次）/ generated password (shown once): {password}", highlight=False)


@users_app.command("add")
def add(name: str, role: Annotated[str, typer.Option("--role", help="admin | national | province | zone | bank | "
                                                     "viewer")],
        zones: ZonesOpt = None, provinces: ProvincesOpt = None, generate: GenerateOpt = False,
        password_stdin: StdinOpt = False, db: DbOpt = None) -> None:
    """添加账户 / add an account (password prompted twice, or --generate)."""
    from gaoxin.services.accounts import add_user, check_name

    check_name(name)
    with open_store(db, "write") as store:
        from gaoxin.services.accounts import check_scope

        check_scope(store, role, _split(zones), _split(provinces))  # before asking for a password
        password, generated = _password(generate, password_stdin)
        user = add_user(store, name, role, password, _split(zones), _split(provinces))
    console.print(f"已添加 added {user['name']} ({user['role']})", highlight=False)
    if generated:
        _shown_once(password)


@users_app.command("list")
def list_(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """列出账户 / list accounts (never a password hash)."""
    from gaoxin.services.accounts import list_users

    with open_store(db) as store:
        users = list_users(store)
    if as_json:
        render.print_json(users)
        return
    headers = ["用户 user", "角色 role", "园区 zones", "省份 provinces", "停用 disabled", "修改 changed"]
    rows = [(u["name"], u["role"], ",".join(u["zones"]) or None, ",".join(u["provinces"]) or None, u["disabled"],
             u["changed_at"]) for u in users]
    render.show(render.table("账户 / accounts", headers, rows))


@users_app.command("disable")
def disable(name: str, db: DbOpt = None) -> None:
    """停用账户，结束其会话 / disable an account; its sessions end."""
    _change(db, name, disabled=True)


@users_app.command("enable")
def enable(name: str, db: DbOpt = None) -> None:
    """重新启用账户 / enable an account again."""
    _change(db, name, disabled=False)


@users_app.command("change")
def change(name: str, role: Annotated[str | None, typer.Option("--role")] = None, zones: ZonesOpt = None,
           provinces: ProvincesOpt = None, db: DbOpt = None) -> None:
    """修改角色或范围，结束其会话 / change role, zones or provinces; its sessions end."""
    _change(db, name, role=role, zones=_split(zones), provinces=_split(provinces))


@users_app.command("passwd")
def passwd(name: str, generate: GenerateOpt = False, password_stdin: StdinOpt = False, db: DbOpt = None) -> None:
    """设置新密码，结束其会话 / set a new password; its sessions end."""
    from gaoxin.services.accounts import get

    with open_store(db, "write") as store:
        get(store, name)  # an unknown name fails before the prompt
        password, generated = _password(generate, password_stdin)
        _apply(store, name, password=password)
    if generated:
        _shown_once(password)


def _change(db: Path | None, name: str, **changes) -> None:
    with open_store(db, "write") as store:
        _apply(store, name, **changes)


def _apply(store, name: str, **changes) -> None:
    from gaoxin.services.accounts import change_user

    user = change_user(store, name, **changes)
    state = "停用 disabled" if user["disabled"] else "启用 enabled"
    console.print(f"已更新 updated {user['name']}: {user['role']}, {state}", highlight=False)

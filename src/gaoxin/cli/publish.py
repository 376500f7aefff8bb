"""``gaoxin publish KIND KEY`` / ``publish --revoke ID`` / ``gaoxin publications``: what viewers and banks see."""

from __future__ import annotations

from typing import Annotated

import typer

from gaoxin.cli import render
from gaoxin.cli.app import DbOpt, JsonOpt, OutOpt, app, open_store
from gaoxin.cli.render import console

KINDS_HELP = ("evaluation（评价编号）| points（园区:年份:规则哈希）| aggregate（名称:范围[:…]）/ "
              "evaluation ID | points ZONE:YEAR:RULES_HASH | aggregate NAME:SCOPE[:…]")


@app.command()
def publish(
    kind: Annotated[str | None, typer.Argument(help=KINDS_HELP, show_default=False)] = None,
    key: Annotated[str | None, typer.Argument(help="键 / key", show_default=False)] = None,
    revoke: Annotated[int | None, typer.Option("--revoke", help="撤销发布记录 / revoke publication ID")] = None,
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """发布评价、积分名单或汇总表（viewer、bank 角色只能看到已发布的结果）/ publish a result, or revoke one."""
    from gaoxin.services import publishing as pub

    if (revoke is None) == (kind is None or key is None) or (revoke is not None and kind is not None):
        raise typer.BadParameter("用法 / usage: gaoxin publish KIND KEY | gaoxin publish --revoke ID")
    with open_store(db, "write") as store:
        if revoke is not None:
            p = pub.revoke(store, pub.operator(), revoke)
            text = f"已撤销发布 {p.id}（{p.kind} {p.key}）/ revoked publication {p.id}"
        else:
            existing = {x.id for x in pub.published(store, kind)}
            p = pub.publish(store, pub.operator(), kind, key)
            text = (f"已发布过：{p.id} / already published as {p.id}" if p.id in existing
                    else f"已发布 {p.id}：{p.kind} {p.key} / published as {p.id}")
    if as_json:
        render.print_json(p.to_dict())
    else:
        console.print(text, highlight=False)


@app.command()
def publications(
    kind: Annotated[str | None, typer.Option(help="只列此类 / only this kind")] = None,
    all_: Annotated[bool, typer.Option("--all", help="含已撤销 / include revoked ones")] = False,
    as_json: JsonOpt = False,
    out_file: OutOpt = None,
    db: DbOpt = None,
) -> None:
    """已发布的结果（及撤销记录）/ published results (and the revoked history)."""
    import pandas as pd

    from gaoxin.cli.data import export
    from gaoxin.services import publishing as pub

    with open_store(db) as store:
        rows = pub.publications(store, kind) if all_ else pub.published(store, kind)
    records = [p.to_dict() for p in rows]
    if as_json:
        render.print_json(records)
        return
    frame = pd.DataFrame([{"编号 id": r["id"], "类型 kind": r["kind"], "键 key": r["key"], "发布人 by": r["by"],
                           "时间 at": r["at"][:19], "撤销 revoked": (r["revoked_at"] or "")[:19] or None}
                          for r in records], columns=["编号 id", "类型 kind", "键 key", "发布人 by", "时间 at",
                                                      "撤销 revoked"])
    if out_file is not None:
        export(frame, out_file, db, list="publications")
        return
    render.frame(frame, "发布记录 / publications")

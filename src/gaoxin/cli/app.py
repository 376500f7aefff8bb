"""The Typer app, shared options and the store opener used by every command."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from gaoxin.cli.render import console

if TYPE_CHECKING:
    from gaoxin.services import Store



class _Group(typer.core.TyperGroup):
    """Every command's user errors (bad input, configuration, store state) become one line and exit code 2."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (see gaoxin.cli.main): transactions rolled back, temp removed
            _interrupted()
        except Exception as e:
            if str(e) == "Query interrupted":  # DuckDB turns an interrupt during a query into this RuntimeError
                _interrupted()
            if not (type(e).__module__.startswith("gaoxin.") or isinstance(e, OSError)
                    or "duckdb" in type(e).__module__):
                raise  # click's own exits and usage errors, and bugs: not worth importing the error classes
            from gaoxin.services.errors import user_errors
            from gaoxin.services.export import disk_full

            e = disk_full(e, None, output=None) or e  # a full disk met outside the store's and exports' own writes
            if not isinstance(e, user_errors()):
                raise
            text = f"文件不存在 / file not found: {e.filename}" if isinstance(e, FileNotFoundError) else str(e)
            console.print(f"[red]错误 error:[/] {text}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None


def _interrupted() -> None:
    console.print("已中断，数据库保持原样 / interrupted: the store is as it was", highlight=False)
    raise typer.Exit(130) from None


app = typer.Typer(cls=_Group, help="gaoxin: 高新区监测评价平台 / high-tech zone monitoring and evaluation",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

DbOpt = Annotated[Path | None, typer.Option("--db", envvar="GAOXIN_DB", help="数据库文件 / database file")]
JsonOpt = Annotated[bool, typer.Option("--json", help="stdout 输出 JSON / print JSON to stdout")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="写入文件 / write to .csv | .xlsx (| .parquet)")]
SnapshotOpt = Annotated[str | None, typer.Option(help="快照（默认最新）/ snapshot")]
SaveOpt = Annotated[bool, typer.Option(help="按快照与规则哈希存储 / store per snapshot and rule hash")]
YearOpt = Annotated[int, typer.Option(help="年份 / year")]
ZoneOpt = Annotated[str | None, typer.Option(help="园区代码（默认全部）/ zone code (default: every zone)")]


@contextlib.contextmanager
def open_store(db: Path | None, mode: Literal["read", "write"] = "read") -> Iterator[Store]:
    """Open the store for one command; while another process holds it, say so and wait (bounded)."""
    from gaoxin.services import Store

    status = None

    def on_wait(waited: float, pid: int | None, cmd: str | None) -> None:
        nonlocal status
        who = f"进程 {pid}（{cmd}）" if pid else "另一进程"
        text = f"数据库被{who}占用，等待中 {waited:.0f}s … / store busy (held by process {pid}), waiting …"
        if status is None:
            status = console.status(text)
            status.start()
        else:
            status.update(text)

    try:
        store = Store(db, mode, on_wait=on_wait)
    finally:
        if status is not None:
            status.stop()
    try:
        yield store
    finally:
        store.close()


def years(text: str) -> tuple[int, int]:
    """``2020-2024`` or ``2024`` → (first, last); a clear error otherwise."""
    a, _, b = text.partition("-")
    try:
        y0, y1 = int(a), int(b or a)
    except ValueError:
        raise typer.BadParameter(f"年份应为 2020-2024 或 2024 / years must look like 2020-2024, not {text!r}") from None
    if y1 < y0:
        raise typer.BadParameter(f"起始年份大于结束年份 / first year after last: {text}")
    if not (y0 >= 1900 and y1 <= 2100):
        raise typer.BadParameter(f"年份须在 1900–2100 之间 / years must be 1900–2100: {text}")
    return y0, y1


from gaoxin.cli import data, demo, evaluate, explain, industry, mujun, points, publish, results, serve, tiers, users  # noqa: E402,F401  (register the commands)
from gaoxin.cli import report as report_command  # noqa: E402,F401  (gaoxin report, issue #11)

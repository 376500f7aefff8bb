"""``gaoxin serve``: the web API (and, once built, the dashboard) in one uvicorn process that owns the store.

The store is opened for writing before uvicorn starts, so a store held by another process is the core's
one-line busy message (exit 2), not a server traceback; while the server runs, every other gaoxin
process gets the busy message naming ``gaoxin serve`` (docs/deployment.md).
"""

from __future__ import annotations

from typing import Annotated

import typer

from gaoxin.cli.app import DbOpt, app, open_store
from gaoxin.cli.render import console


@app.command()
def serve(db: DbOpt = None,
          host: Annotated[str, typer.Option(help="监听地址 / address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="端口 / port", min=1, max=65535)] = 8000,
          secure_cookies: Annotated[bool, typer.Option(help="HTTPS 之后：Cookie 加 Secure / behind HTTPS")] = False,
          session_idle_minutes: Annotated[int, typer.Option(min=1, help="会话空闲超时（分钟）/ idle timeout")] = 30,
          max_upload_mb: Annotated[int, typer.Option(min=1, help="上传上限（MB）/ upload limit")] = 200,
          forwarded_allow_ips: Annotated[str, typer.Option(help="信任其 X-Forwarded-For 的反向代理地址 / proxies "
                                                        "trusted for X-Forwarded-For")] = "127.0.0.1") -> None:
    """启动网页服务（独占数据库）/ serve the web API; the server owns the store while it runs."""
    import uvicorn

    from gaoxin.api.app import Settings, create_app
    from gaoxin.services import db_path

    path = db_path(db)
    with open_store(path, "write"):  # migrated, and not held by anyone: else the busy message, exit 2
        pass
    settings = Settings(db=path, secure_cookies=secure_cookies, session_idle_minutes=session_idle_minutes,
                        max_upload_mb=max_upload_mb, warm_caches=True)
    console.print(f"gaoxin serve: http://{host}:{port}/api/v1/docs  ({path}); Ctrl-C 停止 / to stop",
                  highlight=False)
    uvicorn.run(create_app(settings), host=host, port=port, workers=1, proxy_headers=True,
                forwarded_allow_ips=forwarded_allow_ips, log_level="warning")

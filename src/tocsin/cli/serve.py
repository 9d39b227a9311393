"""`tocsin serve`: the web app (API and pages) under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from tocsin.cli.common import err, fail, t


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on (put TLS in front for anything "
                                           "but loopback).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the web app: map, siege board, place pages, alerts; JSON API at /api/v1."""
    import uvicorn

    from tocsin.web.app import WebSetupError, create_app
    from tocsin.workspace import WorkspaceError

    workspace = ctx.obj
    try:
        create_app(workspace)  # fail here, with a clear message, rather than inside uvicorn
    except (WorkspaceError, WebSetupError) as exc:
        fail(exc)
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(t("serve.serving_on_session_cookies", host=host))
    if workers == 1:
        uvicorn.run(create_app(workspace), host=host, port=port, proxy_headers=True, log_level="info")
    else:
        import os

        os.environ["TOCSIN_HOME"] = str(workspace.home)
        uvicorn.run("tocsin.web.asgi:app", host=host, port=port, workers=workers, proxy_headers=True)

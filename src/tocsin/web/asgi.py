"""ASGI entry point for process managers: ``uvicorn tocsin.web.asgi:app`` (workspace from TOCSIN_HOME)."""

from __future__ import annotations

from tocsin.web.app import create_app
from tocsin.workspace import Workspace

app = create_app(Workspace.at())

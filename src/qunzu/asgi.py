"""ASGI entry: `uvicorn --factory qunzu.asgi:create` builds settings, container and app."""

from __future__ import annotations

from fastapi import FastAPI

from qunzu.bootstrap import build_container
from qunzu.config import load_settings
from qunzu.logging import configure_logging


def create() -> FastAPI:
    from qunzu.app import create_app

    settings = load_settings()
    configure_logging(settings)
    return create_app(build_container(settings))

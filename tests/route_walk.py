"""The app's API routes with their full paths, through FastAPI's included routers."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.routing import APIRoute


def api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """(full path, route) for every API route, those of included routers too."""
    for entry in app.routes:
        # FastAPI keeps an included router whole; its routes carry the paths within it.
        included = getattr(entry, "original_router", None)
        prefix = getattr(getattr(entry, "include_context", None), "prefix", "") or ""
        for route in included.routes if included is not None else [entry]:
            if isinstance(route, APIRoute):
                yield prefix + route.path, route

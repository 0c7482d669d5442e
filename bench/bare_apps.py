"""The references of ``bench/server_cpu.py``: the least a request can cost on the same server.

* ``asgi``: a bare ASGI callable answering a fixed JSON body: uvicorn's own cost per request;
* ``fastapi``: a FastAPI app with one route returning a dict: the framework's cost on top.

Both are served by uvicorn with the options ``croupier serve`` uses.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

BODY = b'{"status":"ok"}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:  # noqa: ARG001 - ASGI's signature
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


fastapi = FastAPI()


@fastapi.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}

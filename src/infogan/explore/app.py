"""The explorer's web app: one static page and a small JSON API over ``ExplorerModel``.

    GET  /                          the page (static/index.html; no external assets)
    GET  /api/info                  run name, step, image format, codes and what they control
    POST /api/generate              {"seed", "codes"} -> {"png" (base64), "ms"}
    POST /api/grid                  {"seed", "code"} -> {"png", "ms"}: the code's traversal grid
    POST /api/encode                the image file as the body -> {"codes": posterior per code}
    GET  /api/test-image/{index}    a test image of the run's data with its posterior

Requests name no file: nothing from a request reaches the filesystem. A bad request is
HTTP 400 with {"error": one line}; an upload over the limit is 413.
"""

from __future__ import annotations

import json
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from infogan.errors import InfoganError
from infogan.explore.model import MAX_UPLOAD_BYTES, ExplorerModel

STATIC = Path(__file__).parent / "static"
MAX_JSON_BYTES = 64 * 1024


def create_app(model: ExplorerModel) -> Starlette:
    """The Starlette app serving ``model``."""

    async def page(request: Request) -> FileResponse:
        return FileResponse(STATIC / "index.html")

    async def info(request: Request) -> JSONResponse:
        return JSONResponse(model.info())

    async def generate(request: Request) -> JSONResponse:
        body = await _json_body(request)
        return JSONResponse(model.generate(body.get("seed", 0), body.get("codes", {})))

    async def grid(request: Request) -> JSONResponse:
        body = await _json_body(request)
        return JSONResponse(model.grid(body.get("seed", 0), body.get("code")))

    async def encode(request: Request) -> JSONResponse:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
            return JSONResponse({"error": f"the image is larger than {MAX_UPLOAD_BYTES // 2**20} MB"}, 413)
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > MAX_UPLOAD_BYTES:
                return JSONResponse({"error": f"the image is larger than {MAX_UPLOAD_BYTES // 2**20} MB"}, 413)
        return JSONResponse(model.encode(bytes(data)))

    async def test_image(request: Request) -> JSONResponse:
        return JSONResponse(model.test_image(request.path_params["index"]))

    routes = [
        Route("/", page),
        Route("/api/info", info),
        Route("/api/generate", generate, methods=["POST"]),
        Route("/api/grid", grid, methods=["POST"]),
        Route("/api/encode", encode, methods=["POST"]),
        Route("/api/test-image/{index:int}", test_image),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, exception_handlers={InfoganError: _bad_request})


async def _bad_request(request: Request, error: Exception) -> JSONResponse:
    """An ``InfoganError`` as HTTP 400 with its one line."""
    return JSONResponse({"error": str(error)}, 400)


async def _json_body(request: Request) -> dict:
    raw = await request.body()
    if len(raw) > MAX_JSON_BYTES:
        raise InfoganError("the request body is too large")
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise InfoganError("the request body is not JSON") from None
    if not isinstance(body, dict):
        raise InfoganError("the request body must be a JSON object")
    return body

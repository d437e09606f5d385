"""The demo's web page and its small JSON API, and ``python -m bot demo`` itself."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import webbrowser
from importlib import resources
from typing import Any

from aiohttp import BodyPartReader, web

from bot.demo.runtime import Demo

log = logging.getLogger(__name__)

DEMO_KEY = web.AppKey("demo", Demo)
LONG_POLL_SECONDS = 20.0
UPLOAD_MAX_BYTES = 20 * 1024 * 1024
STATIC_FILES = {
    "/": ("index.html", "text/html"),
    "/app.js": ("app.js", "text/javascript"),
    "/app.css": ("app.css", "text/css"),
}


def _static(name: str) -> bytes:
    return resources.files("bot").joinpath("demo_static", name).read_bytes()


def _demo(request: web.Request) -> Demo:
    return request.app[DEMO_KEY]


def _persona(request: web.Request, key: str) -> str:
    try:
        _demo(request).persona(key)
    except KeyError:
        raise web.HTTPNotFound(text=f"unknown persona {key!r}") from None
    return key


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text="a JSON body is expected") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="a JSON object is expected")
    return body


def _bad(exc: Exception) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=str(exc), content_type="text/plain")


async def page(request: web.Request) -> web.Response:
    name, content_type = STATIC_FILES[request.path]
    return web.Response(
        body=_static(name),
        content_type=content_type,
        charset="utf-8",
        headers={"Cache-Control": "no-store"},
    )


async def state(request: web.Request) -> web.Response:
    """The chat of one persona. With ``since=<version>`` it waits (up to 20 s) for a change."""
    demo = _demo(request)
    key = _persona(request, request.match_info["persona"])
    since = request.query.get("since")
    if since:
        await demo.wait_change(key, since, LONG_POLL_SECONDS)
    return web.json_response(demo.state(key))


async def send(request: web.Request) -> web.Response:
    key = _persona(request, request.match_info["persona"])
    body = await _body(request)
    try:
        _demo(request).send_text(key, str(body.get("text", "")))
    except ValueError as exc:
        raise _bad(exc) from None
    return web.json_response({"ok": True})


async def click(request: web.Request) -> web.Response:
    key = _persona(request, request.match_info["persona"])
    body = await _body(request)
    try:
        query_id = _demo(request).click(
            key, int(body["message_id"]), int(body["row"]), int(body["column"])
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad(exc) from None
    return web.json_response({"ok": True, "query_id": query_id})


async def press(request: web.Request) -> web.Response:
    key = _persona(request, request.match_info["persona"])
    body = await _body(request)
    try:
        _demo(request).press(key, str(body.get("text", "")))
    except ValueError as exc:
        raise _bad(exc) from None
    return web.json_response({"ok": True})


async def contact(request: web.Request) -> web.Response:
    key = _persona(request, request.match_info["persona"])
    _demo(request).share_contact(key)
    return web.json_response({"ok": True})


async def upload(request: web.Request) -> web.Response:
    key = _persona(request, request.match_info["persona"])
    if request.content_type != "multipart/form-data":
        raise web.HTTPBadRequest(text="send the file as multipart/form-data")
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if isinstance(part, BodyPartReader) and part.name == "file":
            data = await part.read(decode=False)
            try:
                _demo(request).upload(
                    key, part.filename or "file", part.headers.get("Content-Type"), bytes(data)
                )
            except ValueError as exc:
                raise _bad(exc) from None
            return web.json_response({"ok": True})
    raise web.HTTPBadRequest(text="no part named 'file'")


async def clock(request: web.Request) -> web.Response:
    body = await _body(request)
    try:
        result = await _demo(request).advance(str(body.get("step", "")))
    except ValueError as exc:
        raise _bad(exc) from None
    return web.json_response(result)


async def file(request: web.Request) -> web.Response:
    found = _demo(request).file(request.match_info["file_id"])
    if found is None:
        raise web.HTTPNotFound(text="no such file")
    data, mime, name = found
    inline = mime.startswith("image/") or mime == "application/pdf"
    disposition = "inline" if inline else "attachment"
    return web.Response(
        body=data,
        content_type=mime,
        headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{_quote(name)}"},
    )


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def build_demo_app(demo: Demo) -> web.Application:
    app = web.Application(client_max_size=UPLOAD_MAX_BYTES)
    app[DEMO_KEY] = demo
    for path in STATIC_FILES:
        app.router.add_get(path, page)
    app.router.add_get("/api/state/{persona}", state)
    app.router.add_post("/api/send/{persona}", send)
    app.router.add_post("/api/click/{persona}", click)
    app.router.add_post("/api/press/{persona}", press)
    app.router.add_post("/api/contact/{persona}", contact)
    app.router.add_post("/api/upload/{persona}", upload)
    app.router.add_post("/api/clock", clock)
    app.router.add_get("/api/file/{file_id}", file)
    return app


class DemoServer:
    """The demo plus its web page on ``host:port`` (``port=0``: any free port)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8080) -> None:
        self.host = host
        self.port = port
        self.demo = Demo()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        await self.demo.start()
        try:
            runner = web.AppRunner(build_demo_app(self.demo), access_log=None, shutdown_timeout=1)
            await runner.setup()
            self._runner = runner
            await web.TCPSite(runner, self.host, self.port).start()
        except BaseException:
            await self.stop()
            raise
        self.port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        self.demo.closing = True  # long polls answer at once
        try:
            if self._runner is not None:
                await self._runner.cleanup()
                self._runner = None
        finally:
            await self.demo.stop()

    async def __aenter__(self) -> DemoServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


async def run_demo(host: str = "127.0.0.1", port: int = 8080, open_browser: bool = True) -> None:
    """Serve the demo until Ctrl+C (or SIGTERM); then stop the bot cleanly and remove the
    temporary folder."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows
            loop.add_signal_handler(sig, stop.set)
    async with DemoServer(host, port) as server:
        print(f"The demo is running: {server.url}  (Ctrl+C stops it)", flush=True)
        print(
            "Offline: the bot talks to an emulator of the Telegram Bot API; "
            "the database is temporary and holds sample (DEMO) data.",
            flush=True,
        )
        if open_browser:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(webbrowser.open, server.url)
        await stop.wait()
        print("stopping…", flush=True)

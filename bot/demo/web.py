"""The demo's web page and its small JSON API, and ``python -m bot demo`` itself.

The page shows every persona's chat to whoever can reach the port, and files come from the
user's disk, so the server keeps other pages out: it answers only requests addressed to its
own address (no DNS rebinding), takes a POST only with a same-origin ``Origin`` and a JSON body
(an upload: multipart), sends ``nosniff`` and a strict Content-Security-Policy (scripts and
styles from its own files only, nothing inline), and serves a file inline only when it is a
PNG, JPEG, GIF or WebP image by its bytes; anything else (an SVG with a script, an HTML page
named ``.png``) is a download that cannot run in the page's origin.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import signal
import webbrowser
from collections.abc import Awaitable, Callable
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
# The page: its own script and style sheet, images from the demo (and the empty data: icon),
# requests to itself; nothing inline, nothing from elsewhere, never framed.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# A file opened on its own: shown, never run (an opaque origin, no scripts).
FILE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
# Images a browser shows and cannot run, told by their first bytes, not by the name or the
# type the uploader claimed.
RASTER_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}
# Types a download keeps; anything else goes out as application/octet-stream.
DOWNLOAD_TYPES = frozenset(
    {
        "application/pdf",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/zip",
    }
)


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
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="a JSON body (application/json) is expected")
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
    if _is_raster(data, mime):
        disposition = "inline"
    else:
        disposition = "attachment"
        mime = mime if mime in DOWNLOAD_TYPES else "application/octet-stream"
    return web.Response(
        body=data,
        content_type=mime,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{_quote(name)}",
            "Content-Security-Policy": FILE_POLICY,
        },
    )


def _is_raster(data: bytes, mime: str) -> bool:
    if mime == "image/webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return any(data.startswith(magic) for magic in RASTER_MAGIC.get(mime, ()))


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _own_hosts(request: web.Request) -> set[str]:
    """The ``Host`` values that name this server: the address the request came in on (and
    ``localhost`` for a loopback one), with its port."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if not sockname:
        return set()
    address, port = str(sockname[0]), int(sockname[1])
    names = {f"[{address}]" if ":" in address else address}
    if ipaddress.ip_address(address).is_loopback:
        names.add("localhost")
    hosts = {f"{name}:{port}" for name in names}
    if port == 80:
        hosts |= names
    return hosts


def _refusal(request: web.Request) -> web.Response | None:
    """Why this request is not the demo page's own, as a 403; None if it is."""
    host = request.headers.get("Host", "")
    if host.lower() not in _own_hosts(request):
        return web.Response(status=403, text="this demo answers only at its own address")
    if request.method not in ("GET", "HEAD"):
        origin = request.headers.get("Origin")
        site = request.headers.get("Sec-Fetch-Site", "same-origin")
        if origin != f"http://{host}" or site not in ("same-origin", "none"):
            return web.Response(status=403, text="only the demo page itself may do this")
    return None


def _protect(response: web.StreamResponse) -> None:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
    response.headers["Referrer-Policy"] = "no-referrer"


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Only this server's own page may use it; every answer carries nosniff and a policy."""
    try:
        response = _refusal(request) or await handler(request)
    except web.HTTPException as exc:
        _protect(exc)
        raise
    _protect(response)
    return response


def build_demo_app(demo: Demo) -> web.Application:
    app = web.Application(client_max_size=UPLOAD_MAX_BYTES, middlewares=[guard])
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

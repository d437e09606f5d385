"""The bot's HTTP server: the Telegram webhook (when WEBHOOK_URL is set), /healthz, /metrics.

The webhook answers 200 only after the update was processed, so a crash before that loses
nothing: Telegram delivers the update again. A handler that fails does not make a 500: the
error handler (``handlers/errors.py``) logs it with the update's id, counts it in
``bot_handler_errors_total`` and apologises to the user, and the update counts as processed
(redelivering it would fail again). Only a failure the error handler cannot deal with answers
500. An update already processed (Telegram sent it again because our 200 was lost) is answered
200 and not processed twice.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import ValidationError

from bot.clock import Clock
from bot.delivery.leader import LeaderElection
from bot.metrics import Metrics
from db.meta import MetaRepository

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
OVERDUE_LIMIT = timedelta(minutes=30)
DB_TIMEOUT = 5.0
REDIS_TIMEOUT = 2.0
UNRECORDED_KEPT = 1000


@dataclass
class Parts:
    """What the health check looks at; the callables say whether this process runs them."""

    meta: MetaRepository
    metrics: Metrics
    clock: Clock
    scheduler_running: Callable[[], bool | None]  # None: not this process's job (standby)
    sender_running: Callable[[], bool | None]
    # With REDIS_URL: the leader election, which tells whether Redis answers and how long no
    # process has led (a standby process is healthy only while some process leads).
    election: LeaderElection | None = None


async def health(parts: Parts) -> tuple[bool, dict[str, object]]:
    problems: list[str] = []
    report: dict[str, object] = {}
    try:
        report["database"] = await asyncio.wait_for(parts.meta.ping(), DB_TIMEOUT)
    except Exception as exc:  # any failure to answer is the finding
        report["database"] = False
        problems.append(f"database unreachable: {type(exc).__name__}")
    for name, running in (("scheduler", parts.scheduler_running()),
                          ("sender", parts.sender_running())):  # fmt: skip
        report[name] = "standby" if running is None else running
        if running is False:
            problems.append(f"{name} not running")
    if parts.election is not None:
        problems += await _leadership(parts.election, report)
    if report["database"]:
        now = parts.clock.now()
        by_status = await parts.meta.outbox_by_status()
        report["outbox_backlog"] = by_status.get("pending", 0)
        oldest = await parts.meta.oldest_overdue(now)
        overdue = 0.0 if oldest is None else (now - oldest).total_seconds()
        report["outbox_oldest_overdue_seconds"] = round(overdue)
        if overdue > OVERDUE_LIMIT.total_seconds():
            problems.append(f"outbox stuck: a message is {round(overdue)} s overdue")
    last = parts.metrics.last_update_at
    report["last_update_at"] = (
        None if last is None else datetime.fromtimestamp(last, parts.clock.tz).isoformat()
    )
    report["ok"] = not problems
    if problems:
        report["problems"] = problems
    return not problems, report


async def _leadership(election: LeaderElection, report: dict[str, object]) -> list[str]:
    """Redis must answer and some process must lead: else every worker stands by and nobody
    sends reminders or notices."""
    problems = []
    try:
        report["redis"] = await asyncio.wait_for(election.probe(), REDIS_TIMEOUT)
    except TimeoutError:
        report["redis"] = False
    if not report["redis"]:
        problems.append("redis unreachable")
    leaderless = election.leaderless_seconds()
    report["leaderless_seconds"] = round(leaderless)
    if leaderless > election.lock.ttl_seconds:
        problems.append(f"no process has led for {round(leaderless)} s")
    return problems


def build_web_app(
    parts: Parts,
    *,
    dp: Dispatcher | None = None,
    bot: Bot | None = None,
    webhook_path: str | None = None,
    secret: str | None = None,
) -> web.Application:
    app = web.Application()

    async def healthz(_request: web.Request) -> web.Response:
        ok, report = await health(parts)
        return web.json_response(report, status=200 if ok else 503)

    async def metrics(_request: web.Request) -> web.Response:
        body = await parts.metrics.render(parts.meta)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    if webhook_path is not None:
        assert dp is not None and bot is not None and secret
        app.router.add_post(webhook_path, _webhook_handler(parts, dp, bot, secret))
    return app


def _secret_given(request: web.Request) -> bytes:
    """The secret header as the bytes that came: compared as bytes, a value that is not
    UTF-8 (aiohttp keeps such bytes as lone surrogates, which ``str.encode`` refuses) is just
    a wrong secret, answered 401 like any other."""
    wanted = SECRET_HEADER.lower().encode()
    for name, value in request.raw_headers:
        if name.lower() == wanted:
            return value
    return b""


def _webhook_handler(
    parts: Parts, dp: Dispatcher, bot: Bot, secret: str
) -> Callable[[web.Request], Awaitable[web.Response]]:
    # Update ids processed whose record in the database failed: still recognised if Telegram
    # sends them again (the newest few; Telegram does not resend old ones).
    unrecorded: dict[int, None] = {}

    async def webhook(request: web.Request) -> web.Response:
        if not hmac.compare_digest(_secret_given(request), secret.encode()):
            log.warning("webhook request without the right secret token from %s", request.remote)
            return web.Response(status=401, text="unauthorized")
        try:
            update = Update.model_validate(await request.json(), context={"bot": bot})
        except (json.JSONDecodeError, ValidationError, UnicodeDecodeError):
            return web.Response(status=400, text="not an update")
        if update.update_id in unrecorded or await parts.meta.processed(update.update_id):
            log.info("update %s was processed already; not again", update.update_id)
            return web.Response(status=200)
        started = time.perf_counter()
        try:
            await dp.feed_update(bot, update)
        except Exception:
            # Telegram will deliver it again; the handlers that write are idempotent.
            log.exception("update %s failed; Telegram will deliver it again", update.update_id)
            return web.Response(status=500, text="failed")
        try:
            await parts.meta.mark_processed(update.update_id, parts.clock.now())
        except Exception as exc:
            # Processed all the same: a 500 now would make Telegram deliver it again, and the
            # user would get every reply twice.
            log.warning("update %s processed; cannot record that: %r", update.update_id, exc)
            unrecorded[update.update_id] = None
            while len(unrecorded) > UNRECORDED_KEPT:
                del unrecorded[next(iter(unrecorded))]
        log.debug("update %s handled in %.3f s", update.update_id, time.perf_counter() - started)
        return web.Response(status=200)

    return webhook

"""Prometheus metrics of one bot process, and the middlewares that feed them.

Each process has its own registry (no global state, so tests stay apart). Counters that
live in the database (messages by outcome, applications by status, the backlog) are read
when /metrics is scraped, so they are right across restarts and across processes.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from db.meta import MetaRepository

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter(
            "bot_updates_total", "Updates handled, by type", ["type"], registry=r
        )
        self.handler_errors = Counter(
            "bot_handler_errors_total", "Updates whose handler raised, by type", ["type"],
            registry=r,
        )  # fmt: skip
        self.latency = Histogram(
            "bot_handler_seconds", "Time to handle an update, by type", ["type"],
            buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.retry_after = Counter(
            "bot_telegram_429_total", "Answers 429 Too Many Requests from Telegram", registry=r
        )
        self.messages = Gauge(
            "bot_outbox_messages", "Outbox messages by status (sent, failed, blocked, ...)",
            ["status"], registry=r,
        )  # fmt: skip
        self.backlog = Gauge("bot_outbox_backlog", "Outbox messages still to send", registry=r)
        self.applications = Gauge(
            "bot_applications", "Applications by status", ["status"], registry=r
        )
        self.last_update = Gauge(
            "bot_last_update_timestamp_seconds", "When the last update was handled", registry=r
        )
        self.last_update_at: float | None = None

    def handled(self, kind: str, seconds: float) -> None:
        self.updates.labels(kind).inc()
        self.latency.labels(kind).observe(seconds)
        self.last_update_at = time.time()
        self.last_update.set(self.last_update_at)

    def failed(self, kind: str) -> None:
        """An update whose handling failed: counted by the error handler, which sees every
        failure, also those before the handler (dialogue state, event isolation)."""
        self.handler_errors.labels(kind).inc()

    async def render(self, meta: MetaRepository) -> bytes:
        """The text exposition, with the database figures read now."""
        by_status = await meta.outbox_by_status()
        for status in ("pending", "sent", "failed", "blocked", "dropped", *by_status):
            self.messages.labels(status).set(by_status.get(status, 0))
        self.backlog.set(by_status.get("pending", 0))
        for status, n in (await meta.applications_by_status()).items():
            self.applications.labels(status).set(n)
        return generate_latest(self.registry)


class UpdateMetricsMiddleware(BaseMiddleware):
    """Counts and times every update (outer middleware of ``dp.update``)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        kind = event.event_type if isinstance(event, Update) else type(event).__name__
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            self.metrics.handled(kind, time.perf_counter() - started)


class RetryAfterCounter(BaseRequestMiddleware):
    """Counts the 429 answers of Telegram (session middleware, for replies and the sender)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter:
            self.metrics.retry_after.inc()
            raise

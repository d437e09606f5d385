"""The reminder planner at work: read a snapshot, plan, put new reminders into the outbox.

APScheduler runs :meth:`ReminderService.plan_now` every few minutes (and once at start); the
outbox is the durable truth, the scheduler only the clock.
"""

from __future__ import annotations

import asyncio
import logging

from bot.clock import Clock
from bot.domain.reminders import Planner, Snapshot
from bot.services.catalog import CatalogService
from db.reminders import ReminderRepository

log = logging.getLogger(__name__)


class ReminderService:
    def __init__(
        self,
        repo: ReminderRepository,
        catalogs: CatalogService,
        clock: Clock,
        planner: Planner,
    ) -> None:
        self.repo = repo
        self.catalogs = catalogs
        self.clock = clock
        self.planner = planner
        self._lock = asyncio.Lock()
        self._running: asyncio.Future[int] | None = None

    async def snapshot(self) -> Snapshot:
        today = self.clock.today()
        return Snapshot(
            applicants=await self.repo.applicants(),
            unfinished=await self.repo.unfinished(),
            with_application=await self.repo.users_with_applications(),
            subscriptions=await self.repo.subscriptions(),
            students=await self.repo.students(),
            periods=await self.repo.periods_after(today),
            optouts=await self.repo.all_optouts(),
            unreachable=await self.repo.unreachable(),
        )

    async def wait_idle(self) -> None:
        """Return once no planning is in progress (used at shutdown, before the DB closes)."""
        if self._running is not None:
            await asyncio.wait([self._running])
        async with self._lock:
            pass

    async def scheduled(self) -> None:
        """The scheduler's job. Stopping the scheduler cancels its jobs; planning is shielded
        from that and finishes (the shutdown waits for it), so no transaction is cut short."""
        self._running = asyncio.ensure_future(self.plan_now())
        try:
            await asyncio.shield(self._running)
        except asyncio.CancelledError:
            log.info("the scheduler stops; planning finishes first")
        except Exception:
            log.exception("planning reminders failed; the next run will try again")

    async def plan_now(self) -> int:
        async with self._lock:
            return await self._plan()

    async def _plan(self) -> int:
        now = self.clock.now()
        planned = self.planner.plan(now, await self.catalogs.current(), await self.snapshot())
        added = await self.repo.enqueue_all(planned, now)
        if added:
            log.info("planned %d new reminder(s)", added)
        return added

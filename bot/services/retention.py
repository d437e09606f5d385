"""When personal data has served its purpose (152-ФЗ), erase it.

Applicants who were not enrolled: RETENTION_DAYS after their campaign's last day. Enrolled
students' application data: ENROLLED_RETENTION_DAYS after it, if set (else the college keeps
it under its own rules and erases it on request). The staff get a summary a week before, and
a report after. Questions are erased RETENTION_DAYS after they were asked.

Students: a group whose last work placement report was due RETENTION_DAYS ago goes with its periods
and registrations; a registration to a group no list of the college has goes RETENTION_DAYS
after it was made (no reminder can ever reach it).

Drafts: a dialogue state (an unfinished form) nobody touched for RETENTION_DAYS is erased, and
so is the consent of someone who never applied once it is RETENTION_DAYS old and they have no
draft touched within that time. The staff get the counts once a day. With Redis, dialogue
states expire there by themselves (a TTL of RETENTION_DAYS, renewed on each write).

Events: registrations (names, phones, attendance) RETENTION_DAYS after their event ended; the
consent for events once it is RETENTION_DAYS old and its person has no registration left.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta

from bot.clock import Clock
from bot.domain.catalog import Campaign
from bot.services.catalog import CatalogService
from db.applications import Notice
from db.retention import RetentionRepository

log = logging.getLogger(__name__)

WARN_DAYS = 7


@dataclass(frozen=True, slots=True)
class Due:
    """One purge of one campaign: who, and on which local day."""

    year: int
    enrolled: bool
    day: date

    @property
    def warn_day(self) -> date:
        return self.day - timedelta(days=WARN_DAYS)

    @property
    def key(self) -> str:
        return f"{self.year}:{'enrolled' if self.enrolled else 'others'}"


def schedule(
    campaigns: list[Campaign], retention_days: int, enrolled_days: int | None
) -> list[Due]:
    dues = []
    for campaign in campaigns:
        dues.append(Due(campaign.year, False, campaign.last_day + timedelta(retention_days)))
        if enrolled_days is not None:
            dues.append(Due(campaign.year, True, campaign.last_day + timedelta(enrolled_days)))
    return dues


class RetentionService:
    def __init__(
        self,
        repo: RetentionRepository,
        catalogs: CatalogService,
        clock: Clock,
        *,
        retention_days: int,
        enrolled_days: int | None,
        staff_chats: list[int],
        users_with_drafts: Callable[[], Awaitable[set[int]]] | None = None,
    ) -> None:
        self.repo = repo
        self.catalogs = catalogs
        self.clock = clock
        self.retention_days = retention_days
        self.enrolled_days = enrolled_days
        self.staff_chats = staff_chats
        # Who has a live dialogue state outside SQLite (Redis, where states expire by
        # themselves); the SQLite rows are checked by the repository.
        self.users_with_drafts = users_with_drafts
        self._running: asyncio.Future[int] | None = None

    async def run(self) -> int:
        """Warn and erase whatever is due today; return how many applications were erased.
        Safe to run any number of times: each warning and report is queued once."""
        today = self.clock.today()
        now = self.clock.now()
        catalog = await self.catalogs.current()
        erased_total = 0
        for due in schedule(catalog.campaigns, self.retention_days, self.enrolled_days):
            if due.warn_day <= today < due.day:
                count = await self.repo.count(due.year, enrolled=due.enrolled)
                if count:
                    key = f"retention-warning:{due.key}"
                    await self.notify("retention_warning", key, due, count)
            elif today >= due.day:
                erased = await self.repo.purge(due.year, enrolled=due.enrolled)
                if erased:
                    log.info(
                        "retention: campaign %s: erased %d %s application(s)",
                        due.year,
                        erased,
                        "enrolled" if due.enrolled else "not enrolled",
                    )
                    await self.notify(
                        "retention_done", f"retention-done:{due.key}:{now.date()}", due, erased
                    )
                erased_total += erased
        await self.repo.forget_updates(now - timedelta(days=2))
        days = self.retention_days
        cutoff = now - timedelta(days=days)
        questions = await self.repo.purge_questions(cutoff)
        if questions:
            log.info("retention: erased %d question(s) older than %d days", questions, days)
        students = await self.repo.purge_groups(today - timedelta(days=days), cutoff)
        if students:
            log.info(
                "retention: erased %d student registration(s) of groups whose work placement ended "
                "%d days ago, or that no college listed",
                students,
                days,
            )
        unanswered = await self.repo.purge_unanswered(cutoff)
        if unanswered:
            log.info(
                "retention: erased %d unanswered typed question(s) older than %d days",
                unanswered,
                days,
            )
        registrations = await self.repo.purge_event_registrations(cutoff)
        event_consents = await self.repo.erase_event_consents(cutoff)
        if registrations or event_consents:
            log.info(
                "retention: erased %d registration(s) of events over for %d days and %d "
                "consent(s) for events of people with no registration left",
                registrations,
                days,
                event_consents,
            )
        drafts = await self.repo.purge_drafts(cutoff)
        orphans = await self.repo.orphan_consents(cutoff)
        if orphans and self.users_with_drafts is not None:
            busy = await self.users_with_drafts()
            orphans = [user_id for user_id in orphans if user_id not in busy]
        consents = await self.repo.erase_consents(orphans, cutoff)
        if drafts or consents:
            log.info(
                "retention: erased %d draft(s) untouched for %d days and the consents of %d "
                "people who never applied",
                drafts,
                days,
                consents,
            )
        await self.repo.report_drafts(self.staff_chats, days, today, now)
        await self.repo.settle()
        return erased_total

    async def scheduled(self) -> None:
        """The scheduler's job: a failure is logged and tried again next time. Stopping the
        scheduler does not cut a run short: the shutdown waits for it (``wait_idle``)."""
        self._running = asyncio.ensure_future(self.run())
        try:
            await asyncio.shield(self._running)
        except asyncio.CancelledError:
            # The scheduler stops: the shielded run goes on and the shutdown waits for it.
            log.info("the scheduler stops; the retention run finishes first")
        except Exception:
            log.exception("retention run failed")

    async def wait_idle(self) -> None:
        if self._running is not None:
            await asyncio.wait([self._running])

    async def notify(self, kind: str, key: str, due: Due, count: int) -> None:
        payload = {
            "year": due.year,
            "enrolled": due.enrolled,
            "day": due.day.isoformat(),
            "count": count,
        }
        await self.repo.notify(
            [Notice(chat, kind, f"{key}:{chat}", payload) for chat in self.staff_chats],
            self.clock.now(),
        )

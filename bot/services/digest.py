"""The staff's daily digest: every morning at DIGEST_HOUR (Norilsk time), through the outbox, to
the staff chat (every college) and to each member of one college (that college): new
applications and originals received in the last 24 hours, corrections waiting more than 2 days,
questions waiting more than a day. A day with nothing to tell sends nothing.

The scheduler runs it every few minutes: the first run at or after the hour queues the day's
digest (once: the day is recorded with it), so a bot that was down at 09:00 sends it when it
is back the same day."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.clock import Clock
from bot.domain.roles import Scope
from bot.services.catalog import CatalogService
from db.applications import Notice
from db.digest import DigestRepository
from db.staff import StaffRepository

log = logging.getLogger(__name__)

DIGEST = "digest"  # outbox kind
WINDOW = timedelta(hours=24)  # «new» and «received» in the digest: since this long ago
CORRECTION_WAIT = timedelta(days=2)
QUESTION_WAIT = timedelta(days=1)


class DigestService:
    def __init__(
        self,
        repo: DigestRepository,
        staff: StaffRepository,
        catalogs: CatalogService,
        clock: Clock,
        *,
        hour: int,
        staff_chats: list[int],
        admission_chat: bool,
    ) -> None:
        self.repo = repo
        self.staff = staff
        self.catalogs = catalogs
        self.clock = clock
        self.hour = hour
        self.staff_chats = staff_chats
        # With an admission chat, the staff of every college read the digest there; without
        # one, each of them gets it in private like the administrators.
        self.admission_chat = admission_chat

    async def recipients(self) -> list[tuple[int, str | None]]:
        """``(chat, college)``: the staff chats and members for every college (None), and each
        member of one college."""
        found: dict[int, str | None] = {chat: None for chat in self.staff_chats}
        for member in await self.staff.members():
            if member.college_id is not None or not self.admission_chat:
                found.setdefault(member.user_id, member.college_id)
        return list(found.items())

    async def run(self) -> int:
        """Queue today's digest if it is time and it is not queued yet; how many messages."""
        now = self.clock.now()
        local = now.astimezone(self.clock.tz)
        if local.hour < self.hour or await self.repo.queued(local.date()):
            return 0
        catalog = await self.catalogs.current()
        notices = []
        for chat, college in await self.recipients():
            codes = Scope(chat, college).specialty_codes(catalog)
            counts = await self.repo.counts(
                now - WINDOW, now - CORRECTION_WAIT, now - QUESTION_WAIT, codes
            )
            if not counts:
                continue
            payload = {
                "day": local.date().isoformat(),
                "college": college or "",
                "new": counts.new,
                "corrections": counts.corrections,
                "questions": counts.questions,
                "originals": counts.originals,
            }
            notices.append(Notice(chat, DIGEST, f"digest:{local.date()}:{chat}", payload))
        return await self.repo.queue(local.date(), notices, now)

    async def scheduled(self) -> None:
        """The scheduler's job: a failure is logged and tried again at the next run."""
        try:
            await self.run()
        except Exception:
            log.exception("the staff digest failed")

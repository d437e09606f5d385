"""Broadcasts: who a segment means, who may address it, and the progress report.

A broadcast is one outbox row per recipient ('broadcast:<id>:<chat>'), so it is delivered by
the same paced, retried sender as reminders and survives a restart. The monitor edits the
author's progress message while rows are pending, then posts the final report as a new message
(the author is notified; an edit is silent) in its place: the progress message goes, so the
report is read once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest

from bot.clock import Clock
from bot.domain.catalog import Catalog
from bot.domain.roles import Scope
from db.broadcasts import Broadcast, BroadcastRepository, Progress
from db.staff import StaffRepository

log = logging.getLogger(__name__)

SEGMENT_KINDS = ("all", "specialty", "college", "status", "group")
# How long the monitor waits for a broadcast's progress message (sent by the handler after the
# preview, in the author's chat's turn) before it reports without one.
PROGRESS_GRACE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Segment:
    """``kind`` is one of SEGMENT_KINDS; ``value`` a specialty code, college id, status, or
    ``college_id/GROUP`` for students of a group; ``""`` for all users."""

    kind: str
    value: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value}


def allowed(scope: Scope, segment: Segment, catalog: Catalog) -> bool:
    """Staff of one college address only its applicants and students; «all users» and any
    segment outside their college need staff of every college."""
    if segment.kind not in SEGMENT_KINDS:
        return False
    if scope.college_id is None:
        return True
    if segment.kind == "specialty":
        specialty = catalog.specialty(segment.value)
        return specialty is not None and scope.college_id in specialty.colleges
    if segment.kind in ("college", "group"):
        return segment.value.split("/", 1)[0] == scope.college_id
    # A status across the college's specialties only: resolved with the scope's codes.
    return segment.kind == "status"


async def recipients(
    segment: Segment, scope: Scope, catalog: Catalog, repo: BroadcastRepository, year: int
) -> list[int]:
    """The reachable users a segment means for this staff member (empty if not allowed)."""
    if not allowed(scope, segment, catalog):
        return []
    if segment.kind == "all":
        return await repo.all_users()
    if segment.kind == "group":
        college_id, _, group = segment.value.partition("/")
        return await repo.students_of_group(college_id, group)
    if segment.kind == "specialty":
        return await repo.applicants(year, [segment.value])
    if segment.kind == "college":
        codes = [code for s in catalog.specialties_of(segment.value) for code in s.codes]
        return await repo.applicants(year, codes)
    return await repo.applicants(year, scope.specialty_codes(catalog), status=segment.value)


async def queue_broadcast(
    repo: BroadcastRepository,
    staff: StaffRepository,
    author_id: int,
    text: str,
    photo_file_id: str | None,
    segment: Segment,
    people: list[int],
    now: datetime,
    text_en: str | None = None,
) -> int:
    """Queue the message for every recipient (one outbox row each), audited; its id.
    ``text_en``: the English version, for those who read the bot in English."""
    async with staff.db.transaction():  # the messages queued and the audit: all or none
        broadcast_id = await repo.create(
            author_id=author_id,
            text=text,
            photo_file_id=photo_file_id,
            segment=segment.as_dict(),
            recipients=people,
            now=now,
            text_en=text_en,
        )
        comment = f"№{broadcast_id} {segment.kind}:{segment.value} → {len(people)}"
        await staff.audit(author_id, "broadcast", None, comment, now)
    return broadcast_id


# Renders the author's progress message: (broadcast, progress, finished) → text, in the
# author's language.
ProgressRenderer = Callable[[Broadcast, Progress, bool], Awaitable[str]]


class BroadcastMonitor:
    """Keeps each running broadcast's progress message current and reports the end."""

    def __init__(
        self,
        repo: BroadcastRepository,
        render: ProgressRenderer,
        clock: Clock,
        *,
        every_seconds: float = 3.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repo = repo
        self.render = render
        self.clock = clock
        # The progress message is edited at most this often (a reply in the author's chat, paced
        # within its interval like any other); the final report is always shown.
        self.every_seconds = every_seconds
        self.monotonic = monotonic
        self._edited_at: dict[int, float] = {}
        # Broadcast id -> the progress text Telegram last accepted, for as long as the database
        # has not recorded it: a failed write never makes the same edit again.
        self._shown: dict[int, str] = {}
        # Broadcasts whose final report went out while the database has not recorded them
        # finished: the report is not sent again.
        self._final: set[int] = set()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self, bot: Bot) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(bot), name="broadcast-monitor")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self, bot: Bot) -> None:
        while not self._stopping.is_set():
            try:
                await self.tick(bot)
            except Exception:
                log.exception("broadcast monitor failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.every_seconds)

    async def tick(self, bot: Bot) -> int:
        """Update every running broadcast once; return how many finished now."""
        finished = 0
        for broadcast in await self.repo.running():
            if (
                broadcast.progress_message_id is None
                and self.clock.now() - broadcast.created_at < PROGRESS_GRACE
            ):
                # The author's progress message is on its way (it waits for the chat's turn
                # after the preview): a broadcast delivered meanwhile is reported once it is
                # there, not finished unseen.
                continue
            progress = await self.repo.progress(broadcast.id)
            done = progress.pending == 0
            text = await self.render(broadcast, progress, done)
            shown = self._shown.get(broadcast.id, broadcast.reported)
            if done:
                if broadcast.id not in self._final:
                    await self._report(bot, broadcast, text)
                    self._final.add(broadcast.id)
            elif text != shown and broadcast.progress_message_id is not None:
                if self._edited_recently(broadcast.id):
                    continue
                self._edited_at[broadcast.id] = self.monotonic()
                await self._edit(bot, broadcast, text)
                self._shown[broadcast.id] = text
            await self.repo.set_reported(broadcast.id, text)
            self._shown.pop(broadcast.id, None)
            if done:
                await self.repo.finish(broadcast.id, self.clock.now())
                self._edited_at.pop(broadcast.id, None)
                self._final.discard(broadcast.id)
                log.info(
                    "broadcast %s finished: %s sent, %s blocked, %s failed",
                    broadcast.id,
                    progress.sent,
                    progress.blocked,
                    progress.failed,
                )
                finished += 1
        return finished

    def _edited_recently(self, broadcast_id: int) -> bool:
        edited_at = self._edited_at.get(broadcast_id)
        return edited_at is not None and self.monotonic() - edited_at < self.every_seconds

    async def _report(self, bot: Bot, broadcast: Broadcast, text: str) -> None:
        """The final report: a new message, then the progress message is deleted. Where
        Telegram refuses either (a message older than 48 hours cannot be deleted), the
        progress message shows the report instead."""
        # Without a progress message (it could not be sent), the author is told all the same.
        chat_id = broadcast.progress_chat_id or broadcast.author_id
        try:
            await bot.send_message(chat_id, text)
        except TelegramAPIError as exc:
            log.info("cannot send the report of broadcast %s: %s", broadcast.id, exc)
            if broadcast.progress_message_id is not None:
                await self._edit(bot, broadcast, text)
            return
        if broadcast.progress_message_id is None:
            return
        try:
            await bot.delete_message(chat_id, broadcast.progress_message_id)
        except TelegramAPIError as exc:
            log.info("cannot delete the progress of broadcast %s: %s", broadcast.id, exc)
            await self._edit(bot, broadcast, text)

    async def _edit(self, bot: Bot, broadcast: Broadcast, text: str) -> None:
        assert broadcast.progress_chat_id is not None
        assert broadcast.progress_message_id is not None
        try:
            await bot.edit_message_text(
                text=text,
                chat_id=broadcast.progress_chat_id,
                message_id=broadcast.progress_message_id,
            )
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                log.info("cannot edit the progress of broadcast %s: %s", broadcast.id, exc)
        except TelegramAPIError as exc:
            log.info("cannot edit the progress of broadcast %s: %s", broadcast.id, exc)

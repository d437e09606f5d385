"""«Delete my data» (152-ФЗ): everything the bot keeps about a person, wherever it is.

The database rows (with the deletion ledger and the WAL checkpoint) are the repository's
work; here they are joined by the dialogue state in whichever storage holds it, and by the
bot's posts in the staff chats: their message ids are remembered as the sender delivers them,
so that they can be deleted later where Telegram allows it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.clock import Clock
from db.applications import ApplicationRepository, PersonErased
from db.outbox import OutboxMessage
from db.staff_posts import StaffPost, StaffPostRepository

# Outbox kinds that post about an application or a question in a staff chat.
STAFF_POST_KINDS = frozenset({"staff_application", "staff_event", "question"})


class PersonEraser:
    def __init__(
        self,
        applications: ApplicationRepository,
        forget_drafts: Callable[[int], Awaitable[None]] | None,
        clock: Clock,
    ) -> None:
        self.applications = applications
        # The dialogue state's storage: with Redis it lives there (in SQLite it goes with the
        # rows anyway).
        self.forget_drafts = forget_drafts
        self.clock = clock

    async def erase(self, user_id: int) -> PersonErased:
        erased = await self.applications.delete_person(user_id, self.clock.now())
        if self.forget_drafts is not None:
            await self.forget_drafts(user_id)
        return erased


class StaffPosts:
    """The sender's ``on_delivered``: remembers the bot's posts about people in staff chats."""

    def __init__(self, repo: StaffPostRepository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    async def delivered(self, message: OutboxMessage, result: Any) -> None:
        if message.kind not in STAFF_POST_KINDS:
            return
        message_id = getattr(result, "message_id", None)
        application_id = message.payload.get("application_id")
        question_id = message.payload.get("question_id")
        if not isinstance(message_id, int) or (application_id is None and question_id is None):
            return
        await self.repo.remember(
            StaffPost(message.chat_id, message_id),
            application_id=None if application_id is None else int(application_id),
            question_id=None if question_id is None else int(question_id),
            now=self.clock.now(),
        )

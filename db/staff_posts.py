"""The bot's posts in staff chats about an application or a question, so that they can be
deleted from those chats when the person deletes their data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from db.database import Database
from db.outbox import enqueue, utc

# The outbox kind of a deletion of one of the bot's posts; payload {"message_id": …}.
DELETE_POST = "delete_message"


@dataclass(frozen=True, slots=True)
class StaffPost:
    chat_id: int
    message_id: int


async def queue_deletion(db: Database, post: StaffPost, now: datetime) -> None:
    """Queue the deletion of a post (once per post), inside the caller's transaction if any."""
    await enqueue(
        db,
        dedup_key=f"{DELETE_POST}:{post.chat_id}:{post.message_id}",
        chat_id=post.chat_id,
        kind=DELETE_POST,
        payload={"message_id": post.message_id},
        due_at=now,
        now=now,
    )


async def posts_about_person(db: Database, user_id: int) -> list[StaffPost]:
    """The posts about a person's applications and questions (before they are deleted)."""
    rows = await db.fetchall(
        """
        SELECT chat_id, message_id FROM staff_messages
        WHERE application_id IN (SELECT id FROM applications WHERE user_id = :user)
           OR question_id IN (SELECT id FROM questions WHERE user_id = :user)
        ORDER BY sent_at, message_id
        """,
        {"user": user_id},
    )
    return [StaffPost(int(r[0]), int(r[1])) for r in rows]


class StaffPostRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def remember(
        self,
        post: StaffPost,
        *,
        application_id: int | None,
        question_id: int | None,
        now: datetime,
    ) -> bool:
        """Remember a post about an application or a question. If its subject was erased
        while the post was on its way, queue the post's deletion at once instead. Returns
        whether it was remembered."""
        async with self.db.transaction():
            found = await self.db.fetchval(
                "SELECT (SELECT count(*) FROM applications WHERE id = ?) + "
                "(SELECT count(*) FROM questions WHERE id = ?)",
                (application_id, question_id),
            )
            if not found:
                await queue_deletion(self.db, post, now)
                return False
            await self.db.execute(
                """
                INSERT INTO staff_messages (chat_id, message_id, application_id, question_id,
                                            sent_at)
                VALUES (?, ?, (SELECT id FROM applications WHERE id = ?),
                        (SELECT id FROM questions WHERE id = ?), ?)
                ON CONFLICT (chat_id, message_id) DO NOTHING
                """,
                (post.chat_id, post.message_id, application_id, question_id, utc(now)),
            )
            return True

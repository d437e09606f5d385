"""The bot's posts in staff chats about an application or a question, so that they can be
deleted from those chats when the person deletes their data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from db.database import Database
from db.outbox import enqueue, utc

# The outbox kind of a deletion of one of the bot's posts; payload {"message_id": …}.
DELETE_POST = "delete_message"


@dataclass(frozen=True, slots=True)
class StaffPost:
    chat_id: int
    message_id: int


async def queue_deletion(conn: aiosqlite.Connection, post: StaffPost, now: datetime) -> None:
    """Queue the deletion of a post, inside the caller's transaction (once per post)."""
    await enqueue(
        conn,
        dedup_key=f"{DELETE_POST}:{post.chat_id}:{post.message_id}",
        chat_id=post.chat_id,
        kind=DELETE_POST,
        payload={"message_id": post.message_id},
        due_at=now,
        now=now,
    )


async def posts_about_person(conn: aiosqlite.Connection, user_id: int) -> list[StaffPost]:
    """The posts about a person's applications and questions (before they are deleted)."""
    cursor = await conn.execute(
        """
        SELECT chat_id, message_id FROM staff_messages
        WHERE application_id IN (SELECT id FROM applications WHERE user_id = :user)
           OR question_id IN (SELECT id FROM questions WHERE user_id = :user)
        ORDER BY sent_at, message_id
        """,
        {"user": user_id},
    )
    return [StaffPost(int(r[0]), int(r[1])) for r in await cursor.fetchall()]


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
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT (SELECT count(*) FROM applications WHERE id = ?) + "
                "(SELECT count(*) FROM questions WHERE id = ?)",
                (application_id, question_id),
            )
            row = await cursor.fetchone()
            if row is None or not row[0]:
                await queue_deletion(conn, post, now)
                return False
            await conn.execute(
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

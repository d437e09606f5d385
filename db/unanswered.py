"""Questions applicants typed that the search could not answer.

They are what the bot does not know yet: the staff see them grouped by their words in
dictionary form, with counts, and turn the frequent ones into FAQ entries. The text may hold
personal data (a name, a phone), so each row keeps its asker: it goes with the person's data
when they delete it, and the retention job erases it RETENTION_DAYS after it was typed, like
a question (``db/retention.py``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from db.database import Database
from db.outbox import utc
from db.questions import asker_clause


@dataclass(frozen=True, slots=True)
class UnansweredGroup:
    """The same question in its dictionary form, however often and however typed."""

    normalized: str
    count: int  # how many times it was typed (by anyone)
    askers: int  # by how many people
    example: str  # the latest text as typed
    last_asked_at: datetime
    relayed: int  # how many of them were then sent to the admission committee


class UnansweredRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self, user_id: int, text: str, normalized: str, language: str, now: datetime
    ) -> int:
        """Remember a question nobody answered; return its id."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO unanswered (user_id, asked_at, language, text, normalized) "
                "VALUES (?, ?, ?, ?, ?)",
                (user_id, utc(now), language, text, normalized),
            )
            row_id = cursor.lastrowid
        assert row_id is not None
        return row_id

    async def relayed(self, unanswered_id: int, user_id: int, question_id: int) -> None:
        """The asker sent it to the admission committee as question ``question_id``."""
        await self.db.execute(
            "UPDATE unanswered SET question_id = ? WHERE id = ? AND user_id = ?",
            (question_id, unanswered_id, user_id),
        )

    async def most_asked(
        self, limit: int = 20, codes: Collection[str] | None = None
    ) -> list[UnansweredGroup]:
        """The questions typed most often (then most recently), with a recent example.

        ``codes`` limits them to what staff of a college see (``db.questions.asker_clause``:
        people whose latest application chooses one of its specialties, and people without
        one); the counts and the example are of those only."""
        where, params = asker_clause(codes)
        rows = await self.db.fetchall(
            f"""
            WITH seen AS (SELECT * FROM unanswered q WHERE 1 = 1 {where})
            SELECT normalized, count(*) AS times, count(DISTINCT user_id) AS askers,
                   max(asked_at) AS last_asked, count(question_id) AS relayed,
                   (SELECT s2.text FROM seen s2 WHERE s2.normalized = s.normalized
                    ORDER BY s2.asked_at DESC, s2.id DESC LIMIT 1) AS example
            FROM seen s
            GROUP BY normalized
            ORDER BY times DESC, last_asked DESC
            LIMIT ?
            """,
            (*params, limit),
        )
        return [
            UnansweredGroup(
                normalized=r["normalized"],
                count=int(r["times"]),
                askers=int(r["askers"]),
                example=r["example"],
                last_asked_at=datetime.fromisoformat(r["last_asked"]),
                relayed=int(r["relayed"]),
            )
            for r in rows
        ]

    async def totals(self, codes: Collection[str] | None = None) -> tuple[int, int]:
        """How many questions were typed that nobody answered, and how many different ones
        (``codes``: as in :meth:`most_asked`)."""
        where, params = asker_clause(codes)
        row = await self.db.fetchone(
            f"SELECT count(*), count(DISTINCT normalized) FROM unanswered q WHERE 1 = 1 {where}",
            params,
        )
        assert row is not None
        return int(row[0]), int(row[1])

"""What the staff's daily digest counts, and its queueing once a day."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from db.applications import Notice, queue_notices
from db.database import Database
from db.questions import visible_clause as visible_questions
from db.staff import visible_clause as visible_applications

DAY_KEY = "digest_day"  # meta: the local day whose digest is queued


@dataclass(frozen=True, slots=True)
class DigestCounts:
    new: int  # applications submitted since
    corrections: int  # waiting for the applicant's correction since before a moment
    questions: int  # unanswered, asked before a moment
    originals: int  # original certificates received since

    def __bool__(self) -> bool:
        return any((self.new, self.corrections, self.questions, self.originals))


class DigestRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def counts(
        self,
        since: datetime,
        corrections_before: datetime,
        questions_before: datetime,
        codes: Collection[str] | None = None,
    ) -> DigestCounts:
        """The digest's numbers; ``codes`` limits them to what a college's staff see."""
        async with self.db.snapshot():  # every number of the same moment
            where, params = visible_applications(codes)
            new = await self.db.fetchval(
                f"SELECT count(*) FROM applications a WHERE a.submitted_at >= ? {where}",
                (since.isoformat(), *params),
            )
            corrections = await self.db.fetchval(
                f"SELECT count(*) FROM applications a WHERE a.status = 'needs_correction' {where} "
                "AND (SELECT max(h.changed_at) FROM status_history h "
                "     WHERE h.application_id = a.id) < ?",
                (*params, corrections_before.isoformat()),
            )
            originals = await self.db.fetchval(
                f"SELECT count(*) FROM applications a WHERE a.original_received_at >= ? {where}",
                (since.isoformat(), *params),
            )
            where, params = visible_questions(codes)
            questions = await self.db.fetchval(
                f"SELECT count(*) FROM questions q WHERE q.answered_at IS NULL AND q.asked_at < ? "
                f"{where}",
                (questions_before.isoformat(), *params),
            )
        return DigestCounts(int(new), int(corrections), int(questions), int(originals))

    async def queued(self, day: date) -> bool:
        """Whether the digest of the local ``day`` is queued already."""
        return await self.db.fetchval("SELECT value FROM meta WHERE key = ?", (DAY_KEY,)) == str(
            day
        )

    async def queue(self, day: date, notices: Sequence[Notice], now: datetime) -> int:
        """Queue the digest of ``day`` once (a second run that day queues nothing); how many
        messages were queued."""
        async with self.db.transaction():
            if await self.queued(day):
                return 0
            await self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (DAY_KEY, str(day)),
            )
            return await queue_notices(self.db, notices, now)

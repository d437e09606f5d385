"""Erasing personal data whose time is up (152-ФЗ): applications of a closed campaign,
old questions. Leaves anonymous counts only."""

from __future__ import annotations

from datetime import date, datetime

from db.applications import Notice
from db.counters import bump
from db.database import Database
from db.outbox import enqueue, utc


async def _count(db: Database, name: str, by: int) -> None:
    """Add to an anonymous total and to what the next report to the staff will say."""
    for counter in (name, name.replace("_erased", "_unreported")):
        await bump(db, counter, by)


class RetentionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def count(self, campaign_year: int, *, enrolled: bool) -> int:
        """Applications of a campaign that are (or are not) enrolled."""
        op = "=" if enrolled else "<>"
        return int(
            await self.db.fetchval(
                f"SELECT count(*) FROM applications WHERE campaign_year = ? AND status {op} "
                "'enrolled'",
                (campaign_year,),
            )
        )

    async def purge(self, campaign_year: int, *, enrolled: bool) -> int:
        """Erase the applications of a campaign that are (or are not) enrolled, everything
        queued about them, and the consents of people left without an application.
        Returns how many applications were erased."""
        op = "=" if enrolled else "<>"
        async with self.db.transaction():
            found = await self.db.fetchall(
                f"SELECT id, user_id FROM applications WHERE campaign_year = ? AND status {op} "
                "'enrolled'",
                (campaign_year,),
            )
            rows = [(int(r[0]), int(r[1])) for r in found]
            for application_id, _user_id in rows:
                await self.db.execute(
                    "DELETE FROM outbox WHERE json_extract(payload, '$.application_id') = ?",
                    (application_id,),
                )
                # Staff comments may quote the person: the audit row keeps who, when, what.
                await self.db.execute(
                    "UPDATE audit_log SET comment = NULL WHERE application_no = "
                    "(SELECT number FROM applications WHERE id = ?)",
                    (application_id,),
                )
                await self.db.execute("DELETE FROM applications WHERE id = ?", (application_id,))
            for user_id in {user_id for _id, user_id in rows}:
                await self.db.execute(
                    "DELETE FROM consents WHERE user_id = ? AND NOT EXISTS "
                    "(SELECT 1 FROM applications WHERE user_id = ?)",
                    (user_id, user_id),
                )
            if rows:
                await bump(self.db, "retention_erased", len(rows))
        if rows:
            await self.db.erased()
        return len(rows)

    async def purge_questions(self, asked_before: datetime) -> int:
        """Questions (with their answers) asked before a moment, and their queued relays."""
        async with self.db.transaction():
            await self.db.execute(
                "DELETE FROM outbox WHERE json_extract(payload, '$.question_id') IN "
                "(SELECT id FROM questions WHERE asked_at < ?)",
                (utc(asked_before),),
            )
            erased = await self.db.execute(
                "DELETE FROM questions WHERE asked_at < ?", (utc(asked_before),)
            )
        if erased:
            await self.db.erased()
        return erased

    async def purge_groups(self, ended_before: date, registered_before: datetime) -> int:
        """Student groups whose last period's report deadline is before ``ended_before``, with
        their periods and registrations; and registrations to a group no list of the college
        has, made before ``registered_before``. Returns how many registrations went."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT g.id, g.college_id, g.name FROM student_groups g "
                "JOIN practicum_periods p ON p.college_id = g.college_id AND p.group_name = g.name "
                "GROUP BY g.id HAVING max(p.report_deadline) < ?",
                (ended_before.isoformat(),),
            )
            erased = 0
            for row in await cursor.fetchall():
                params = (row["college_id"], row["name"])
                done = await conn.execute(
                    "DELETE FROM students WHERE college_id = ? AND group_name = ?", params
                )
                erased += done.rowcount
                await conn.execute(
                    "DELETE FROM practicum_periods WHERE college_id = ? AND group_name = ?", params
                )
                await conn.execute("DELETE FROM student_groups WHERE id = ?", (row["id"],))
            done = await conn.execute(
                "DELETE FROM students WHERE registered_at < ? AND NOT EXISTS ("
                "SELECT 1 FROM student_groups g "
                "WHERE g.college_id = students.college_id AND g.name = students.group_name)",
                (registered_before.isoformat(),),
            )
            erased += done.rowcount
            if erased:
                await _count(self.db, "students_erased", erased)
        if erased:
            await self.db.erased()
        return erased

    async def purge_unanswered(self, asked_before: datetime) -> int:
        """Typed questions the bot could not answer, typed before a moment."""
        erased = await self.db.execute(
            "DELETE FROM unanswered WHERE asked_at < ?", (utc(asked_before),)
        )
        if erased:
            await self.db.erased()
        return erased

    async def purge_event_registrations(self, ended_before: datetime) -> int:
        """Registrations (names, phones, attendance) of events that ended before a moment."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM event_registrations WHERE event_id IN "
                "(SELECT id FROM events WHERE ends_at < ?)",
                (utc(ended_before),),
            )
            erased = cursor.rowcount
            if erased:
                await _count(self.db, "event_registrations_erased", erased)
        if erased:
            await self.db.erased()
        return erased

    async def erase_event_consents(self, given_before: datetime) -> int:
        """Consents for events given before a moment, of people with no registration left."""
        erased = await self.db.execute(
            "DELETE FROM event_consents WHERE given_at < ? AND user_id NOT IN "
            "(SELECT user_id FROM event_registrations)",
            (utc(given_before),),
        )
        if erased:
            await self.db.erased()
        return erased

    async def purge_drafts(self, untouched_since: datetime) -> int:
        """Dialogue states (drafts of unfinished forms, half-typed questions) nobody touched
        since ``untouched_since``; counted by person (a person's draft of the application and
        the state of their dialogue are records of their own)."""
        async with self.db.transaction():
            erased = int(
                await self.db.fetchval(
                    "SELECT count(DISTINCT user_id) FROM fsm WHERE updated_at < ?",
                    (utc(untouched_since),),
                )
                or 0
            )
            await self.db.execute("DELETE FROM fsm WHERE updated_at < ?", (utc(untouched_since),))
            if erased:
                await _count(self.db, "drafts_erased", erased)
        if erased:
            await self.db.erased()
        return erased

    async def orphan_consents(self, given_before: datetime) -> list[int]:
        """People whose consent was given before a moment, who never applied and have no
        draft touched since then (in SQLite; a Redis draft is the caller's to check)."""
        rows = await self.db.fetchall(
            """
            SELECT DISTINCT c.user_id FROM consents c
            WHERE c.given_at < :before
              AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.user_id = c.user_id)
              AND NOT EXISTS (SELECT 1 FROM fsm f WHERE f.user_id = c.user_id
                                                    AND f.updated_at >= :before)
            ORDER BY c.user_id
            """,
            {"before": utc(given_before)},
        )
        return [int(r[0]) for r in rows]

    async def erase_consents(self, users: list[int], given_before: datetime) -> int:
        """Erase those people's consents given before a moment (unless they applied since);
        return how many people lost one."""
        erased = 0
        async with self.db.transaction():
            for user_id in users:
                erased += (
                    await self.db.execute(
                        "DELETE FROM consents WHERE user_id = ? AND given_at < ? AND NOT EXISTS "
                        "(SELECT 1 FROM applications WHERE user_id = ?)",
                        (user_id, utc(given_before), user_id),
                    )
                    > 0
                )
            if erased:
                await _count(self.db, "consents_erased", erased)
        if erased:
            await self.db.erased()
        return erased

    async def report_drafts(self, chats: list[int], days: int, today: date, now: datetime) -> bool:
        """Queue one report a day to each staff chat of the drafts and consents erased since
        the last report (counts only). Returns whether a report was queued."""
        async with self.db.transaction():
            rows = await self.db.fetchall(
                "SELECT name, value FROM counters WHERE name IN "
                "('drafts_unreported', 'consents_unreported')"
            )
            counts = {str(r[0]): int(r[1]) for r in rows}
            drafts = counts.get("drafts_unreported", 0)
            consents = counts.get("consents_unreported", 0)
            if not (drafts or consents) or not chats:
                return False
            queued = False
            for chat in chats:
                queued |= await enqueue(
                    self.db,
                    dedup_key=f"retention-drafts:{today.isoformat()}:{chat}",
                    chat_id=chat,
                    kind="retention_drafts",
                    payload={"drafts": drafts, "consents": consents, "days": days},
                    due_at=now,
                    now=now,
                )
            if queued:  # else today's report is out: these wait for tomorrow's
                await self.db.execute(
                    "UPDATE counters SET value = 0 WHERE name IN "
                    "('drafts_unreported', 'consents_unreported')"
                )
            return queued

    async def settle(self) -> bool:
        """Fold the WAL if a checkpoint after an erasure is still owed (see Database.settle)."""
        return await self.db.settle()

    async def forget_updates(self, before: datetime) -> int:
        """Processed update ids older than Telegram's redelivery window are of no use."""
        return await self.db.execute(
            "DELETE FROM processed_updates WHERE processed_at < ?", (utc(before),)
        )

    async def notify(self, notices: list[Notice], now: datetime) -> int:
        """Queue notices (keys without placeholders); a repeated key adds nothing."""
        added = 0
        async with self.db.transaction():
            for notice in notices:
                added += await enqueue(
                    self.db,
                    dedup_key=notice.key,
                    chat_id=notice.chat_id,
                    kind=notice.kind,
                    payload=notice.payload,
                    due_at=now,
                    now=now,
                )
        return added

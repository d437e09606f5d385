"""Staff roles, the review queue and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from db.database import Database


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor_id: int
    action: str
    application_no: str | None
    comment: str | None


class StaffRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def is_staff(self, user_id: int) -> bool:
        return await self.db.fetchval("SELECT 1 FROM staff WHERE user_id = ?", (user_id,)) == 1

    async def role(self, user_id: int) -> tuple[str | None] | None:
        """``(college_id,)`` of a granted staff member (college_id None: all colleges), or
        None for someone who is not staff."""
        row = await self.db.fetchone("SELECT college_id FROM staff WHERE user_id = ?", (user_id,))
        return None if row is None else (row["college_id"],)

    async def counts_by_status(self, campaign_year: int) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT status, count(*) AS n FROM applications WHERE campaign_year = ? "
            "GROUP BY status",
            (campaign_year,),
        )
        return {r["status"]: r["n"] for r in rows}

    async def queue(
        self, status: str, campaign_year: int, limit: int = 10
    ) -> list[tuple[int, str]]:
        """Applications with a status, oldest submission first: (id, number)."""
        rows = await self.db.fetchall(
            "SELECT id, number FROM applications WHERE status = ? AND campaign_year = ? "
            "ORDER BY submitted_at, id LIMIT ?",
            (status, campaign_year, limit),
        )
        return [(r["id"], r["number"]) for r in rows]

    async def set_flag(self, application_id: int, flag: str, now: datetime) -> None:
        if flag not in ("original_received", "medical_received"):
            raise ValueError(flag)
        await self.db.execute(
            f"UPDATE applications SET {flag} = 1, updated_at = ? WHERE id = ?",
            (now.isoformat(), application_id),
        )

    async def audit(
        self,
        actor_id: int,
        action: str,
        application_no: str | None,
        comment: str | None,
        now: datetime,
    ) -> None:
        await self.db.execute(
            "INSERT INTO audit_log (at, actor_id, action, application_no, comment) "
            "VALUES (?, ?, ?, ?, ?)",
            (now.isoformat(), actor_id, action, application_no, comment),
        )

    async def audit_log(self, application_no: str | None = None) -> list[AuditEntry]:
        sql = "SELECT * FROM audit_log"
        params: tuple[object, ...] = ()
        if application_no is not None:
            sql += " WHERE application_no = ?"
            params = (application_no,)
        rows = await self.db.fetchall(sql + " ORDER BY id", params)
        return [
            AuditEntry(
                at=datetime.fromisoformat(r["at"]),
                actor_id=r["actor_id"],
                action=r["action"],
                application_no=r["application_no"],
                comment=r["comment"],
            )
            for r in rows
        ]

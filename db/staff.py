"""Staff roles, the review queue and the audit log."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from db.database import Database
from db.outbox import utc
from db.rows import RowMapper


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor_id: int
    action: str
    application_no: str | None
    comment: str | None


@dataclass(frozen=True, slots=True)
class StaffMember:
    user_id: int
    college_id: str | None  # None: every college
    name: str | None
    granted_by: int
    granted_at: datetime


_member = RowMapper(StaffMember)
_audit = RowMapper(AuditEntry)


class StaffRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def role(self, user_id: int) -> tuple[str | None] | None:
        """``(college_id,)`` of a granted staff member (college_id None: all colleges), or
        None for someone who is not staff."""
        row = await self.db.fetchone("SELECT college_id FROM staff WHERE user_id = ?", (user_id,))
        return None if row is None else (row["college_id"],)

    async def counts_by_status(
        self, campaign_year: int, codes: Collection[str] | None = None
    ) -> dict[str, int]:
        """Applications per status; ``codes`` limits them to those choosing any of these
        specialties (a college-scoped staff member's view)."""
        where, params = visible_clause(codes)
        rows = await self.db.fetchall(
            f"SELECT status, count(*) AS n FROM applications a WHERE campaign_year = ? {where} "
            "GROUP BY status",
            (campaign_year, *params),
        )
        return {r["status"]: r["n"] for r in rows}

    async def queue(
        self,
        status: str,
        campaign_year: int,
        limit: int = 10,
        *,
        codes: Collection[str] | None = None,
        offset: int = 0,
    ) -> tuple[list[tuple[int, str]], int]:
        """Applications with a status (``""``: any), oldest submission first, as
        ``(id, number)``, and how many match in all."""
        where, params = visible_clause(codes)
        if status:
            where += " AND status = ?"
            params = (*params, status)
        async with self.db.snapshot():  # the page and the count of the same moment
            total = await self.db.fetchval(
                f"SELECT count(*) FROM applications a WHERE campaign_year = ? {where}",
                (campaign_year, *params),
            )
            rows = await self.db.fetchall(
                f"SELECT id, number FROM applications a WHERE campaign_year = ? {where} "
                "ORDER BY submitted_at, id LIMIT ? OFFSET ?",
                (campaign_year, *params, limit, offset),
            )
        return [(r["id"], r["number"]) for r in rows], int(total)

    async def search(
        self, query: str, campaign_year: int, codes: Collection[str] | None = None, limit: int = 20
    ) -> list[tuple[int, str, str]]:
        """Applications by number (``М-2027-0001``, ``2027-0001``, ``0001``, ``1``) or by
        surname (the first word of the name, any case): ``(id, number, status)``."""
        where, params = visible_clause(codes)
        rows = await self.db.fetchall(
            f"SELECT id, number, status, full_name FROM applications a "
            f"WHERE campaign_year = ? {where} ORDER BY submitted_at, id",
            (campaign_year, *params),
        )
        found = [
            (r["id"], r["number"], r["status"])
            for r in rows
            if matches(query, r["number"], r["full_name"])
        ]
        return found[:limit]

    # --- roles ----------------------------------------------------------------------

    async def create_invite(
        self,
        token_hash: str,
        college_id: str | None,
        created_by: int,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        await self.db.execute(
            "INSERT INTO staff_invites (token_hash, college_id, created_by, created_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?)",
            (token_hash, college_id, created_by, utc(now), utc(expires_at)),
        )

    async def redeem_invite(
        self, token_hash: str, user_id: int, name: str, now: datetime
    ) -> StaffMember | None:
        """Use an invite once: grant its role and return it; None if the invite is unknown,
        used or expired. A repeated press by the one who used it returns the role again."""
        async with self.db.transaction():
            invite = await self.db.fetchone(
                "SELECT * FROM staff_invites WHERE token_hash = ?", (token_hash,)
            )
            if invite is None:
                return None
            if invite["used_by"] is not None:
                if invite["used_by"] != user_id:
                    return None
            elif invite["expires_at"] <= utc(now):
                return None
            else:
                await self.db.execute(
                    "UPDATE staff_invites SET used_by = ?, used_at = ? WHERE token_hash = ?",
                    (user_id, utc(now), token_hash),
                )
                await self.db.execute(
                    "INSERT INTO staff (user_id, college_id, granted_by, granted_at, name) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
                    "college_id = excluded.college_id, granted_by = excluded.granted_by, "
                    "granted_at = excluded.granted_at, name = excluded.name",
                    (user_id, invite["college_id"], invite["created_by"], utc(now), name),
                )
            return await self.member(user_id)

    async def revoke(self, user_id: int) -> bool:
        return await self.db.execute("DELETE FROM staff WHERE user_id = ?", (user_id,)) == 1

    async def members(self) -> list[StaffMember]:
        return _member.all(
            await self.db.fetchall("SELECT * FROM staff ORDER BY granted_at, user_id")
        )

    async def member(self, user_id: int) -> StaffMember | None:
        return _member.one(
            await self.db.fetchone("SELECT * FROM staff WHERE user_id = ?", (user_id,))
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
        return _audit.all(await self.db.fetchall(sql + " ORDER BY id", params))


def visible_clause(codes: Collection[str] | None) -> tuple[str, tuple[object, ...]]:
    """SQL limiting applications ``a`` to those choosing any of ``codes`` (None: all)."""
    if codes is None:
        return "", ()
    ordered = sorted(codes)
    if not ordered:
        return " AND 0", ()
    marks = ",".join("?" * len(ordered))
    return (
        " AND EXISTS (SELECT 1 FROM application_choices v WHERE v.application_id = a.id "
        f"AND v.specialty_code IN ({marks}))",
        tuple(ordered),
    )


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold().replace("ё", "е")


def matches(query: str, number: str, full_name: str) -> bool:
    """A search query matches an application by its number or by the surname."""
    digits = "".join(ch for ch in query if ch.isdigit())
    if digits:
        sequence = int(number.rsplit("-", 1)[-1])
        return digits == "".join(ch for ch in number if ch.isdigit()) or (
            len(digits) <= 4 and int(digits) == sequence
        )
    text = _fold(query)
    words = _fold(full_name).split()
    surname = words[0] if words else ""
    return bool(text) and (surname == text or (len(text) >= 3 and surname.startswith(text)))

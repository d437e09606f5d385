"""What the staff reports read: every application of a campaign with its choices, and counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from db.applications import RANKED_STATUSES, ApplicationData, data_mapper
from db.database import Database
from db.rows import RowMapper
from db.staff import visible_clause


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One application as the exports show it: what the applicant filled in (``data``, its
    specialties in order of priority), where it stands, and how many files it has."""

    id: int
    number: str
    user_id: int
    status: str
    data: ApplicationData
    original_received: bool
    medical_received: bool
    submitted_at: datetime
    updated_at: datetime
    documents: int

    def priority_of(self, code: str) -> int | None:
        """1, 2 or 3 for a chosen specialty; None if not chosen."""
        try:
            return self.data.specialties.index(code) + 1
        except ValueError:
            return None


_report_row = RowMapper(ReportRow, documents="n_docs")


@dataclass(frozen=True, slots=True)
class Statistics:
    """Counts of one campaign's applications (those a staff member sees).

    ``by_specialty`` and ``first_priority`` count applications that compete in the ranking
    (``RANKED_STATUSES``), to set against the budget places; the others count every status.
    """

    total: int
    by_specialty: dict[str, int] = field(default_factory=dict)
    first_priority: dict[str, int] = field(default_factory=dict)
    by_day: dict[date, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)


class ReportRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def applications(
        self, campaign_year: int, codes: Collection[str] | None = None
    ) -> list[ReportRow]:
        """Every application of the campaign, oldest submission first; ``codes`` keeps those
        choosing any of these specialties (a college-scoped staff member's view)."""
        where, params = visible_clause(codes)
        async with self.db.snapshot():  # the choices of these very applications
            rows = await self.db.fetchall(
                f"""
                SELECT a.*,
                       (SELECT count(*) FROM documents d WHERE d.application_id = a.id) AS n_docs
                FROM applications a
                WHERE a.campaign_year = ? {where}
                ORDER BY a.submitted_at, a.id
                """,
                (campaign_year, *params),
            )
            choices = await self.db.fetchall(
                f"""
                SELECT c.application_id, c.specialty_code
                FROM application_choices c JOIN applications a ON a.id = c.application_id
                WHERE a.campaign_year = ? {where}
                ORDER BY c.application_id, c.priority
                """,
                (campaign_year, *params),
            )
        chosen: dict[int, list[str]] = {}
        for c in choices:
            chosen.setdefault(c["application_id"], []).append(c["specialty_code"])
        return [
            _report_row(r, data=data_mapper(r, specialties=tuple(chosen.get(r["id"], ()))))
            for r in rows
        ]

    async def statistics(
        self, campaign_year: int, tz: tzinfo, codes: Collection[str] | None = None
    ) -> Statistics:
        """Counts per specialty, per local day of submission (in ``tz``), status and channel.

        With ``codes``, only applications choosing any of them count, and only those
        specialties are counted per specialty.
        """
        where, params = visible_clause(codes)
        base = (campaign_year, *params)
        ranked = ",".join("?" * len(RANKED_STATUSES))
        only = ""
        only_params: tuple[object, ...] = ()
        if codes is not None:
            only = f" AND c.specialty_code IN ({','.join('?' * len(codes))})" if codes else " AND 0"
            only_params = tuple(sorted(codes))
        async with self.db.snapshot():  # every count of the same moment
            by_status = await self._grouped(
                f"SELECT status AS k, count(*) AS n FROM applications a "
                f"WHERE campaign_year = ? {where} GROUP BY status",
                base,
            )
            by_channel = await self._grouped(
                f"SELECT channel AS k, count(*) AS n FROM applications a "
                f"WHERE campaign_year = ? {where} GROUP BY channel",
                base,
            )
            per_specialty = await self.db.fetchall(
                f"""
                SELECT c.specialty_code AS k, count(*) AS n, sum(c.priority = 1) AS first
                FROM application_choices c JOIN applications a ON a.id = c.application_id
                WHERE a.campaign_year = ? AND a.status IN ({ranked}) {only}
                GROUP BY c.specialty_code
                """,
                (campaign_year, *RANKED_STATUSES, *only_params),
            )
            # The day is the cluster's local day: the zone's rules live in Python, not SQLite.
            submitted = await self.db.fetchall(
                f"SELECT submitted_at FROM applications a WHERE campaign_year = ? {where}", base
            )
        days = Counter(
            datetime.fromisoformat(r["submitted_at"]).astimezone(tz).date() for r in submitted
        )
        return Statistics(
            total=sum(by_status.values()),
            by_specialty={r["k"]: r["n"] for r in per_specialty},
            first_priority={r["k"]: r["first"] for r in per_specialty if r["first"]},
            by_day=dict(sorted(days.items())),
            by_status=by_status,
            by_channel=by_channel,
        )

    async def _grouped(self, sql: str, params: tuple[object, ...]) -> dict[str, int]:
        return {r["k"]: r["n"] for r in await self.db.fetchall(sql, params)}

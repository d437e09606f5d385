"""The campaign's closing steps: ranking lists published to the applicants, enrolment orders."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from db.applications import Notice, RankingEntry, queue_notices, write_status
from db.database import Database
from db.outbox import enqueue
from db.rows import RowMapper


@dataclass(frozen=True, slots=True)
class PublishedPlace:
    """A line of a published ranking list: what the applicants see (a number, not a name)."""

    application_id: int
    number: str
    place: int
    average_score: Decimal
    original_received: bool


@dataclass(frozen=True, slots=True)
class Publication:
    campaign_year: int
    specialty_code: str
    published_at: datetime
    published_by: int
    version: int
    places: tuple[PublishedPlace, ...]


@dataclass(frozen=True, slots=True)
class Published:
    """What a publication did: its version, and how many applicants were told."""

    version: int
    told: int


_place = RowMapper(PublishedPlace, original_received="original")
_publication = RowMapper(Publication)  # its places given: rows of another table


class ClosingRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- ranking lists -------------------------------------------------------------------

    async def publish(
        self,
        campaign_year: int,
        code: str,
        ranking: Sequence[RankingEntry],
        actor_id: int,
        now: datetime,
        notices: Callable[[Mapping[int, int], int], list[Notice]],
    ) -> Published:
        """Publish ``ranking`` as the list of ``code``: its places replace the last ones, and
        ``notices(previous, version)`` are queued (``previous``: the places last published, by
        application id), all in one transaction."""
        async with self.db.transaction():
            rows = await self.db.fetchall(
                "SELECT application_id, place FROM published_places "
                "WHERE campaign_year = ? AND specialty_code = ?",
                (campaign_year, code),
            )
            previous = {int(r["application_id"]): int(r["place"]) for r in rows}
            last = await self.db.fetchval(
                "SELECT version FROM ranking_publications "
                "WHERE campaign_year = ? AND specialty_code = ?",
                (campaign_year, code),
            )
            version = (int(last) if last is not None else 0) + 1
            await self.db.execute(
                "INSERT INTO ranking_publications (campaign_year, specialty_code, published_at, "
                "published_by, version) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (campaign_year, specialty_code) DO UPDATE SET "
                "published_at = excluded.published_at, published_by = excluded.published_by, "
                "version = excluded.version",
                (campaign_year, code, now.isoformat(), actor_id, version),
            )
            await self.db.execute(
                "DELETE FROM published_places WHERE campaign_year = ? AND specialty_code = ?",
                (campaign_year, code),
            )
            for place, entry in enumerate(ranking, start=1):
                await self.db.execute(
                    "INSERT INTO published_places (campaign_year, specialty_code, "
                    "application_id, place, average_score, original) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        campaign_year,
                        code,
                        entry.application_id,
                        place,
                        f"{entry.average_score:.2f}",
                        int(entry.original_received),
                    ),
                )
            told = notices(previous, version)
            await queue_notices(self.db, told, now)
        return Published(version, len(told))

    async def publication(self, campaign_year: int, code: str) -> Publication | None:
        """The list of ``code`` as last published (those erased since are gone from it)."""
        async with self.db.snapshot():  # the head and its places of one moment
            head = await self.db.fetchone(
                "SELECT * FROM ranking_publications WHERE campaign_year = ? AND specialty_code = ?",
                (campaign_year, code),
            )
            if head is None:
                return None
            rows = await self.db.fetchall(
                "SELECT p.*, a.number FROM published_places p "
                "JOIN applications a ON a.id = p.application_id "
                "WHERE p.campaign_year = ? AND p.specialty_code = ? ORDER BY p.place",
                (campaign_year, code),
            )
        return _publication(head, places=tuple(_place.all(rows)))

    # --- enrolment orders ----------------------------------------------------------------

    async def enrolled_counts(self, campaign_year: int) -> dict[str, int]:
        """Applicants enrolled per specialty (those enrolled before the specialty was recorded
        count for their first priority, as migration 0012 set it)."""
        rows = await self.db.fetchall(
            "SELECT enrolled_code, count(*) AS n FROM applications "
            "WHERE campaign_year = ? AND status = 'enrolled' AND enrolled_code IS NOT NULL "
            "GROUP BY enrolled_code",
            (campaign_year,),
        )
        return {r["enrolled_code"]: r["n"] for r in rows}

    async def issue_order(
        self,
        campaign_year: int,
        code: str,
        enrol: Sequence[tuple[int, list[Notice]]],
        others: Sequence[Notice],
        actor_id: int,
        now: datetime,
    ) -> tuple[int, list[int]]:
        """The order, in one transaction: each application of ``enrol`` whose documents are
        still accepted becomes «enrolled» to ``code`` (its notices queued with it); ``others``
        are queued (their keys may use ``{order_id}``). Returns the order's number and the
        applications enrolled."""
        async with self.db.transaction():
            order_id = await self.db.insert(
                "INSERT INTO enrolment_orders (campaign_year, specialty_code, issued_by, "
                "issued_at, enrolled) VALUES (?, ?, ?, ?, 0)",
                (campaign_year, code, actor_id, now.isoformat()),
            )
            enrolled = []
            for application_id, notices in enrol:
                written = await write_status(
                    self.db, application_id, "enrolled", now, actor_id=actor_id, notices=notices,
                    expected="accepted", enrolled_code=code,
                )  # fmt: skip
                if written is not None:
                    enrolled.append(application_id)
            await self.db.execute(
                "UPDATE enrolment_orders SET enrolled = ? WHERE id = ?", (len(enrolled), order_id)
            )
            for notice in others:
                await enqueue(
                    self.db,
                    dedup_key=notice.key.format(order_id=order_id),
                    chat_id=notice.chat_id,
                    kind=notice.kind,
                    payload={**notice.payload, "order_id": order_id},
                    due_at=now,
                    now=now,
                )
        return order_id, enrolled

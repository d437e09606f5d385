"""Applications at work: an applicant's place in each ranking, a status change with its notice."""

from __future__ import annotations

from datetime import datetime

from bot.domain.applications import STATUSES, Position
from bot.domain.catalog import Catalog
from db.applications import Application, ApplicationRepository, Notice


async def ranking_positions(
    repo: ApplicationRepository, catalog: Catalog, application: Application
) -> list[Position]:
    positions = []
    for code in application.data.specialties:
        ranking = await repo.ranking(code, application.campaign_year)
        place = next(
            (
                i
                for i, entry in enumerate(ranking, start=1)
                if entry.application_id == application.id
            ),
            None,
        )
        specialty = catalog.specialty(code)
        positions.append(
            Position(
                specialty_code=code,
                place=place,
                total=len(ranking),
                budget_places=specialty.budget_places if specialty else None,
            )
        )
    return positions


async def change_status(
    repo: ApplicationRepository,
    application: Application,
    status: str,
    now: datetime,
    *,
    actor_id: int | None = None,
    comment: str | None = None,
) -> int:
    """Change an application's status and queue the applicant's notice with it, atomically.

    The notice goes through the outbox: retried until Telegram accepts it, recorded if it
    finally fails, never dropped silently.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    notice = Notice(
        chat_id=application.user_id,
        kind="status",
        key="status:{application_id}:{history_id}",
        payload={"status": status, "comment": comment},
    )
    return await repo.set_status(
        application.id, status, now, actor_id=actor_id, comment=comment, notices=[notice]
    )

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


def status_notice(user_id: int, status: str, comment: str | None) -> Notice:
    """The applicant's notice of a new status (rendered in their language when sent)."""
    return Notice(
        chat_id=user_id,
        kind="status",
        key="status:{application_id}:{history_id}",
        payload={"status": status, "comment": comment},
    )


async def change_status(
    repo: ApplicationRepository,
    application: Application,
    status: str,
    now: datetime,
    *,
    actor_id: int | None = None,
    comment: str | None = None,
    expected: str | None = None,
    enrolled_code: str | None = None,
    undoes: int | None = None,
) -> int | None:
    """Change an application's status and queue the applicant's notice with it, atomically;
    the history id, or None when ``expected`` is given and the status is no longer that.

    The notice goes through the outbox: retried until Telegram accepts it, recorded if it
    finally fails, never dropped silently.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    return await repo.set_status(
        application.id, status, now, actor_id=actor_id, comment=comment,
        notices=[status_notice(application.user_id, status, comment)], expected=expected,
        enrolled_code=enrolled_code, undoes=undoes,
    )  # fmt: skip

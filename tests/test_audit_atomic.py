"""A staff action and its audit entry are one: when the audit cannot be written, the action
is not taken either (no status changed, no notice queued, no broadcast, no invite), so the log
never misses who did something."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.review import Decision
from bot.services.broadcasts import Segment, queue_broadcast
from bot.services.review import decide
from bot.services.staff import create_invite
from db.applications import ApplicationRepository
from db.broadcasts import BroadcastRepository
from db.database import Database
from db.staff import StaffRepository
from tests.client import UserClient

NOW = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)


class AuditDown(StaffRepository):
    """The audit log cannot be written (a full disk, a locked file): everything else works."""

    async def audit(self, *args: object, **kwargs: object) -> None:
        raise OSError("disk full")


async def counts(db: Database) -> tuple[int, int, int, int]:
    return (
        await db.fetchval("SELECT count(*) FROM outbox"),
        await db.fetchval("SELECT count(*) FROM broadcasts"),
        await db.fetchval("SELECT count(*) FROM staff_invites"),
        await db.fetchval("SELECT count(*) FROM audit_log"),
    )


@pytest.mark.parametrize(
    ("decision", "comment"),
    [
        (Decision.accept, None),
        (Decision.correct, "Фото нечёткое"),
        (Decision.original, None),
    ],
)
async def test_a_decision_whose_audit_fails_changes_nothing(
    applied: UserClient, db: Database, decision: Decision, comment: str | None
) -> None:
    applications = ApplicationRepository(db)
    application = await applications.for_user(1002)
    assert application is not None
    before = await counts(db)
    with pytest.raises(OSError):
        await decide(applications, AuditDown(db), application, decision, 1, NOW, comment=comment)
    row = await db.fetchone("SELECT status, original_received FROM applications")
    assert row is not None and tuple(row) == ("submitted", 0)
    assert await counts(db) == before  # no notice queued for a decision never recorded

    # With the audit log back, the same decision is taken and logged.
    assert await decide(
        applications, StaffRepository(db), application, decision, 1, NOW, comment=comment
    )
    assert (await counts(db))[3] == before[3] + 1


async def test_a_broadcast_whose_audit_fails_queues_nothing(db: Database) -> None:
    before = await counts(db)
    with pytest.raises(OSError):
        await queue_broadcast(
            BroadcastRepository(db), AuditDown(db), 1, "Hello", None, Segment("all"),
            [2001, 2002], NOW,
        )  # fmt: skip
    assert await counts(db) == before


async def test_an_invite_whose_audit_fails_is_not_created(db: Database) -> None:
    before = await counts(db)
    with pytest.raises(OSError):
        await create_invite(AuditDown(db), "ntpts", 1, NOW)
    assert await counts(db) == before

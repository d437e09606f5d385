"""The staff's review of an application: a new status or a paper received, the applicant's
notice queued with it (the outbox delivers it), and the audit entry of who did it."""

from __future__ import annotations

from datetime import datetime

from bot.services.applications import change_status
from db.applications import Application, ApplicationRepository, Notice
from db.staff import StaffRepository

# The papers the staff mark as received, with the action the audit log names.
RECEIVED = {"original_received": "original", "medical_received": "medical"}


async def set_status(
    applications: ApplicationRepository,
    staff: StaffRepository,
    application: Application,
    status: str,
    actor_id: int,
    now: datetime,
    comment: str | None = None,
) -> None:
    """The status change with the applicant's notice (one transaction), then the audit."""
    await change_status(applications, application, status, now, actor_id=actor_id, comment=comment)
    await staff.audit(actor_id, f"status:{status}", application.number, comment, now)


async def mark_received(
    applications: ApplicationRepository,
    staff: StaffRepository,
    application: Application,
    flag: str,
    actor_id: int,
    now: datetime,
) -> None:
    """The original or the medical certificate received (``flag``, one of ``RECEIVED``), with
    the applicant's notice, then the audit."""
    notice = Notice(
        application.user_id, "received", f"received:{{application_id}}:{flag}", {"flag": flag}
    )
    await applications.mark_received(application.id, flag, now, [notice])
    await staff.audit(actor_id, RECEIVED[flag], application.number, None, now)

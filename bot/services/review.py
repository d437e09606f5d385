"""The staff's review of an application: a decision of the state machine (bot/domain/review.py)
taken, the applicant's notice queued with it (the outbox delivers it), and the audit entry of
who did it."""

from __future__ import annotations

from datetime import datetime

from bot.domain.review import PAPERS, Decision, cancellable, new_status
from bot.services.applications import change_status
from db.applications import Application, ApplicationRepository, Notice
from db.staff import StaffRepository

# The papers the staff mark as received, with the action the audit log names.
RECEIVED = {"original_received": "original", "medical_received": "medical"}


async def decide(
    applications: ApplicationRepository,
    staff: StaffRepository,
    application: Application,
    decision: Decision,
    actor_id: int,
    now: datetime,
    *,
    comment: str | None = None,
    code: str | None = None,
) -> str | None:
    """Take ``decision`` on the application as it was read; return the status it has now, or
    None when it is refused: the state machine does not allow it from the status the
    application has, an enrolment names no specialty of the applicant's, or another member
    changed the status in the meantime (nothing is written then)."""
    status = new_status(application, decision)
    if status is None:
        return None
    if decision in PAPERS:
        await mark_received(applications, staff, application, PAPERS[decision], actor_id, now)
        return status
    if decision == Decision.enroll and code not in application.data.specialties:
        return None
    cancelled = cancellable(application.history) if decision == Decision.undo else None
    # The decision, the applicant's notice and the audit entry: all or none.
    async with applications.db.transaction():
        written = await change_status(
            applications, application, status, now, actor_id=actor_id, comment=comment,
            expected=application.status, enrolled_code=code,
            undoes=cancelled.id if cancelled else None,
        )  # fmt: skip
        if written is None:
            return None
        if cancelled is not None:
            action = f"undo:{cancelled.status}->{status}"
        else:
            action = f"status:{status}"
        note = code if decision == Decision.enroll else comment
        await staff.audit(actor_id, action, application.number, note, now)
    return status


async def mark_received(
    applications: ApplicationRepository,
    staff: StaffRepository,
    application: Application,
    flag: str,
    actor_id: int,
    now: datetime,
) -> None:
    """The original or the medical certificate received (``flag``, one of ``RECEIVED``), with
    the applicant's notice and the audit, in one transaction."""
    notice = Notice(
        application.user_id, "received", f"received:{{application_id}}:{flag}", {"flag": flag}
    )
    async with applications.db.transaction():
        await applications.mark_received(application.id, flag, now, [notice])
        await staff.audit(actor_id, RECEIVED[flag], application.number, None, now)

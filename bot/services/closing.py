"""The campaign's closing steps at work: a ranking list published to its applicants, and an
enrolment order (bot/domain/closing.py has the rules). Each applicant hears of it through the
outbox, rendered in their language when sent; each step is audited."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.domain.closing import may_enrol, moved
from bot.services.applications import status_notice
from db.applications import ApplicationRepository, Notice
from db.closing import ClosingRepository, Published
from db.staff import StaffRepository

RANKING_NOTICE = "ranking"  # outbox kind: your place in a published ranking list
NOT_IN_ORDER = "order_other"  # outbox kind: an order was issued without you; what remains


async def publish_ranking(
    applications: ApplicationRepository,
    closing: ClosingRepository,
    staff: StaffRepository,
    code: str,
    year: int,
    actor_id: int,
    now: datetime,
) -> Published:
    """Publish the ranking of ``code`` as it is now: each applicant whose place changed since
    the last publication (or who is new in it) is told their place and the budget line."""
    ranking = await applications.ranking(code, year)

    def notices(previous: Mapping[int, int], version: int) -> list[Notice]:
        return [
            Notice(
                entry.user_id,
                RANKING_NOTICE,
                f"ranking:{year}:{code}:{version}:{entry.application_id}",
                {"application_id": entry.application_id, "code": code, "year": year},
            )
            for entry in moved(previous, ranking)
        ]

    async with staff.db.transaction():  # published, the notices and the audit: all or none
        published = await closing.publish(year, code, ranking, actor_id, now, notices)
        comment = f"{code} #{published.version}: {len(ranking)} ranked, {published.told} told"
        await staff.audit(actor_id, "ranking:publish", None, comment, now)
    return published


@dataclass(frozen=True, slots=True)
class OrderResult:
    order_id: int
    enrolled: int
    others: int  # told what remains possible
    skipped: int  # selected, but no longer with their documents accepted


async def issue_order(
    applications: ApplicationRepository,
    closing: ClosingRepository,
    staff: StaffRepository,
    code: str,
    year: int,
    selected: Collection[int],
    actor_id: int,
    now: datetime,
) -> OrderResult:
    """Enrol the selected applicants of the ranking of ``code`` (those the state machine still
    allows: documents accepted), each told with a congratulation; the others of the ranking not
    enrolled anywhere are told what remains possible."""
    ranking = await applications.ranking(code, year)
    chosen = [e for e in ranking if e.application_id in selected and may_enrol(e)]
    chosen_ids = {e.application_id for e in chosen}
    others = [e for e in ranking if e.application_id not in chosen_ids and e.status != "enrolled"]
    async with staff.db.transaction():  # the order, the notices and the audit: all or none
        order_id, enrolled = await closing.issue_order(
            year,
            code,
            [(e.application_id, [status_notice(e.user_id, "enrolled", None)]) for e in chosen],
            [
                Notice(
                    e.user_id,
                    NOT_IN_ORDER,
                    f"order:{{order_id}}:{e.application_id}",
                    {"application_id": e.application_id, "code": code, "year": year},
                )
                for e in others
            ],
            actor_id,
            now,
        )
        numbers = {e.application_id: e.number for e in chosen}
        comment = f"№{order_id} {code}: " + ", ".join(numbers[i] for i in enrolled)
        await staff.audit(actor_id, "order:issue", None, comment, now)
    return OrderResult(order_id, len(enrolled), len(others), len(selected) - len(enrolled))

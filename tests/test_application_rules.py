"""The application's rules without Telegram (bot/domain/applications.py): which documents are asked
for, which are missing, who is a minor on the day, the ranking positions with the budget
places, and a status change with its notice in one transaction."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bot.domain.applications import document_steps, is_minor, missing_documents, needs_medical
from bot.domain.catalog import Catalog, default_catalog_bytes, parse_catalog
from bot.services.applications import change_status, ranking_positions
from db.applications import ApplicationRepository, DocumentRef
from db.database import Database
from tests.helpers import YEAR, add

METALLURGY, POWER, ORE = "22.02.08", "13.02.07", "21.02.18"  # only 13.02.07 needs a medical


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    raw = default_catalog_bytes().decode()
    line = f'code = "{METALLURGY}"\n'
    parsed, problems = parse_catalog(raw.replace(line, f"{line}budget_places = 25\n").encode())
    assert parsed is not None, problems
    return parsed


def test_a_medical_certificate_is_needed_when_any_chosen_specialty_requires_it(
    catalog: Catalog,
) -> None:
    assert needs_medical(catalog, (POWER,))
    assert needs_medical(catalog, [METALLURGY, ORE, POWER])
    assert not needs_medical(catalog, (METALLURGY, ORE))
    assert not needs_medical(catalog, ())
    assert not needs_medical(catalog, ("99.99.99",))  # not in the catalogue


@pytest.mark.parametrize(
    ("codes", "minor", "steps"),
    [
        ((METALLURGY,), False, ["passport", "certificate", "photo"]),
        ((POWER,), False, ["passport", "certificate", "photo", "medical"]),
        ((METALLURGY,), True, ["passport", "certificate", "photo", "parent_consent"]),
        ((ORE, POWER), True, ["passport", "certificate", "photo", "medical", "parent_consent"]),
    ],
)
def test_the_documents_asked_for_follow_the_specialties_and_the_age(
    catalog: Catalog, codes: tuple[str, ...], minor: bool, steps: list[str]
) -> None:
    assert document_steps(catalog, codes, minor) == steps


async def test_missing_documents_are_those_asked_for_and_not_sent(
    db: Database, catalog: Catalog
) -> None:
    repo = ApplicationRepository(db)
    application_id = await add(db, 301, "4.50", codes=(ORE, POWER))  # a minor, passport only
    application = await repo.get(application_id)
    assert application is not None
    assert missing_documents(catalog, application) == [
        "certificate", "photo", "medical", "parent_consent",
    ]  # fmt: skip
    sent = [DocumentRef(kind, f"f-{kind}", f"u-{kind}", "photo") for kind in
            ("certificate", "photo", "medical", "parent_consent", "passport")]  # fmt: skip
    complete = replace(application, documents=tuple(sent))
    assert missing_documents(catalog, complete) == []
    adult = replace(complete, data=replace(complete.data, minor=False, specialties=(ORE,)))
    assert missing_documents(catalog, replace(adult, documents=())) == [
        "passport", "certificate", "photo",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("birth", "today", "minor"),
    [
        (date(2008, 11, 26), date(2026, 11, 26), False),  # 18 today
        (date(2008, 11, 27), date(2026, 11, 26), True),  # 18 tomorrow
        (date(2007, 11, 27), date(2026, 11, 26), False),  # 18 and almost a year
        (date(2009, 1, 1), date(2026, 11, 26), True),
        (date(2008, 2, 29), date(2026, 2, 28), True),  # a leap-day birthday: from 1 March
        (date(2008, 2, 29), date(2026, 3, 1), False),
    ],
)
def test_a_minor_is_under_18_on_the_day(birth: date, today: date, minor: bool) -> None:
    assert is_minor(birth, today) is minor


async def test_ranking_positions_give_place_total_and_budget_places_per_choice(
    db: Database, catalog: Catalog
) -> None:
    repo = ApplicationRepository(db)
    await add(db, 301, "4.90")
    mine = await add(db, 302, "4.50", codes=(ORE, METALLURGY))
    withdrawn = await add(db, 303, "5.00", codes=(METALLURGY,), status="withdrawn")
    application = await repo.get(mine)
    assert application is not None
    positions = await ranking_positions(repo, catalog, application)
    assert [(p.specialty_code, p.place, p.total, p.budget_places) for p in positions] == [
        (ORE, 1, 1, None),  # budget places not known yet
        (METALLURGY, 2, 2, 25),
    ]
    out = await repo.get(withdrawn)
    assert out is not None
    [position] = await ranking_positions(repo, catalog, out)
    assert (position.place, position.total, position.budget_places) == (None, 2, 25)
    unknown = replace(application, data=replace(application.data, specialties=("99.99.99",)))
    [position] = await ranking_positions(repo, catalog, unknown)
    assert (position.place, position.total, position.budget_places) == (None, 0, None)


async def test_a_status_change_is_kept_with_its_notice_in_one_go(db: Database) -> None:
    repo = ApplicationRepository(db)
    application = await repo.get(await add(db, 301, "4.50"))
    assert application is not None
    now = datetime(2026, 11, 27, 5, tzinfo=UTC)
    history_id = await change_status(
        repo, application, "needs_correction", now, actor_id=7, comment="Фото размыто"
    )
    assert history_id == await repo.latest_history_id(application.id)
    fresh = await repo.get(application.id)
    assert fresh is not None and fresh.status == "needs_correction"
    last = fresh.history[-1]
    assert (last.status, last.changed_at, last.actor_id, last.comment) == (
        "needs_correction", now, 7, "Фото размыто",
    )  # fmt: skip
    [row] = await db.fetchall("SELECT * FROM outbox")
    assert (row["dedup_key"], row["chat_id"], row["kind"]) == (
        f"status:{application.id}:{history_id}", 301, "status",
    )  # fmt: skip
    assert json.loads(row["payload"]) == {
        "application_id": application.id,
        "history_id": history_id,
        "status": "needs_correction",
        "comment": "Фото размыто",
    }
    assert datetime.fromisoformat(row["due_at"]) == now
    # A second change is a second notice; an unknown status changes nothing.
    await change_status(repo, fresh, "accepted", now, actor_id=7)
    assert await db.fetchval("SELECT count(*) FROM outbox") == 2
    with pytest.raises(ValueError, match="unknown status"):
        await change_status(repo, fresh, "lost", now)
    assert await db.fetchval("SELECT status FROM applications") == "accepted"
    assert await db.fetchval("SELECT count(*) FROM outbox") == 2
    assert YEAR == fresh.campaign_year

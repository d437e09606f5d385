"""The ranking order, rule by rule, each rule decisive on its own.

The average score counts to the hundredth (4.67 is ahead of 4.62 even when 4.62 brought the
original first); on equal scores the original certificate wins, then the earlier submission,
then the lower application id. Only competing statuses are ranked. The order is the same in
the database's ranking, the staff's ranking list and «My application».
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.domain.catalog import Catalog, default_catalog_bytes, parse_catalog
from bot.services.applications import ranking_positions
from bot.services.reports import rank
from db.applications import ApplicationRepository
from db.database import Database
from db.reports import ReportRepository
from tests.helpers import METALLURGY, T0, YEAR, add


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    parsed, problems = parse_catalog(default_catalog_bytes())
    assert parsed is not None, problems
    return parsed


async def order(db: Database) -> list[int]:
    """User ids of the applicants of 22.02.08, best first, as the database ranks them; the
    pure ranking of the reports must agree."""
    sql = await ApplicationRepository(db).ranking(METALLURGY, YEAR)
    rows = await ReportRepository(db).applications(YEAR)
    by_id = {r.id: r.user_id for r in rows}
    pure = [r.user_id for r in rank(rows, METALLURGY)]
    ranked = [by_id[e.application_id] for e in sql]
    assert ranked == pure
    return ranked


@pytest.mark.parametrize(
    ("lower", "higher"),
    [("4.62", "4.67"), ("4.99", "5.00"), ("3.00", "3.01"), ("4.10", "4.19"), ("4.09", "4.10")],
)
async def test_a_higher_score_by_a_hundredth_ranks_first_whatever_the_tie_breaks(
    db: Database, lower: str, higher: str
) -> None:
    # The lower score has everything else going for it: the original, an earlier submission,
    # a lower id. Only the score may decide.
    await add(db, 301, lower, at=T0, original=True)
    await add(db, 302, higher, at=T0 + timedelta(hours=1))
    assert await order(db) == [302, 301]


async def test_on_equal_scores_the_original_beats_an_earlier_submission(db: Database) -> None:
    await add(db, 301, "4.50", at=T0)
    await add(db, 302, "4.50", at=T0 + timedelta(days=3), original=True)
    assert await order(db) == [302, 301]


async def test_on_equal_scores_without_originals_the_earlier_submission_wins(
    db: Database,
) -> None:
    await add(db, 301, "4.50", at=T0 + timedelta(minutes=5))  # lower id, later
    await add(db, 302, "4.50", at=T0)
    assert await order(db) == [302, 301]


async def test_a_full_tie_goes_to_the_lower_application_id(db: Database) -> None:
    await add(db, 302, "4.50", at=T0)
    await add(db, 301, "4.50", at=T0)
    assert await order(db) == [302, 301]  # 302 applied first: application id 1


async def test_only_competing_statuses_are_ranked(db: Database) -> None:
    for user_id, status in enumerate(
        ("submitted", "needs_correction", "accepted", "enrolled", "rejected", "withdrawn"),
        start=301,
    ):
        await add(db, user_id, f"4.{user_id - 300}0", status=status)
    assert await order(db) == [304, 303, 302, 301]


async def test_a_changed_score_moves_the_applicant_in_the_ranking(db: Database) -> None:
    first = await add(db, 301, "4.62", at=T0)
    await add(db, 302, "4.65", at=T0 + timedelta(minutes=1))
    assert await order(db) == [302, 301]
    repo = ApplicationRepository(db)
    application = await repo.get(first)
    assert application is not None
    new_data = replace(application.data, average_score=Decimal("4.67"))
    await repo.update_data(first, new_data, T0 + timedelta(days=1))
    assert await order(db) == [301, 302]


async def test_my_application_shows_the_place_by_the_same_order(
    db: Database, catalog: Catalog
) -> None:
    await add(db, 301, "4.62", at=T0, original=True)
    await add(db, 302, "4.67", at=T0 + timedelta(hours=1))
    await add(db, 303, "4.62", at=T0 + timedelta(minutes=1), codes=("21.02.18", METALLURGY))
    repo = ApplicationRepository(db)
    places = {}
    for user_id in (301, 302, 303):
        application = await repo.for_user(user_id)
        assert application is not None
        positions = {
            p.specialty_code: p for p in await ranking_positions(repo, catalog, application)
        }
        places[user_id] = (positions[METALLURGY].place, positions[METALLURGY].total)
    assert places == {302: (1, 3), 301: (2, 3), 303: (3, 3)}
    # The second-priority specialty is ranked too: 303 is alone there.
    application = await repo.for_user(303)
    assert application is not None
    [ore, _metallurgy] = await ranking_positions(repo, catalog, application)
    assert (ore.specialty_code, ore.place, ore.total) == ("21.02.18", 1, 1)

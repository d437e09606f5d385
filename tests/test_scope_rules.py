"""Who among the staff sees an application: any chosen specialty counts, not only the first.

An applicant who puts a Norilsk specialty second still applies to that college; its staff must
see the application everywhere (the panel count, the queue, the card and its actions, search,
broadcast segments), and staff of a college none of whose specialties were chosen see nothing.
"""

from __future__ import annotations

import pytest
from aiogram import Bot, Dispatcher

from bot.domain.catalog import Catalog, default_catalog_bytes, parse_catalog
from bot.domain.roles import Scope
from db.database import Database
from tests.client import UserClient, labels
from tests.helpers import (
    choose,
    fill_form,
    join,
    numbers,
    person,
    recipients_of,
    start_broadcast,
    submit,
)

METALLURGY = "22.02.08"  # the one specialty of the Norilsk technical school (ntpts)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    parsed, problems = parse_catalog(default_catalog_bytes())
    assert parsed is not None, problems
    return parsed


@pytest.mark.parametrize(
    "chosen",
    [
        (METALLURGY,),
        ("21.02.18", METALLURGY),
        ("21.02.18", "21.02.17", METALLURGY),
    ],
)
def test_college_staff_see_an_application_choosing_their_specialty_at_any_priority(
    catalog: Catalog, chosen: tuple[str, ...]
) -> None:
    assert Scope(user_id=2001, college_id="ntpts").sees(catalog, chosen)
    assert Scope(user_id=2001, college_id="ntpts").sees(catalog, list(chosen))


def test_college_staff_do_not_see_applications_choosing_none_of_their_specialties(
    catalog: Catalog,
) -> None:
    ntpts = Scope(user_id=2001, college_id="ntpts")
    assert not ntpts.sees(catalog, ("21.02.18", "21.02.17", "13.02.07"))
    assert not ntpts.sees(catalog, ())
    # A college with no specialty in the catalogue sees nothing at all.
    taimyr = Scope(user_id=2002, college_id="taimyr")
    assert taimyr.specialty_codes(catalog) == frozenset()
    assert not taimyr.sees(catalog, (METALLURGY,))


def test_staff_of_every_college_see_every_application(catalog: Catalog) -> None:
    everyone = Scope(user_id=2003, college_id=None)
    assert everyone.specialty_codes(catalog) is None
    assert everyone.sees(catalog, ("21.02.18",))
    assert everyone.sees(catalog, ())


def test_a_colleges_specialty_codes_are_exactly_its_own(catalog: Catalog) -> None:
    assert Scope(user_id=2001, college_id="ntpts").specialty_codes(catalog) == {METALLURGY}


async def test_an_application_with_the_colleges_specialty_second_is_theirs_everywhere(
    dp: Dispatcher, bot: Bot, db: Database
) -> None:
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    applicant = person(dp, bot, 3001)
    review = await fill_form(
        applicant,
        name="Сидорова Мария Ивановна",
        specialties=("21.02.18 · Mineral processing", "22.02.08 · Metallurgy"),
    )
    await submit(applicant, review)
    assert await db.fetchval(
        "SELECT priority FROM application_choices WHERE specialty_code = ?", (METALLURGY,)
    ) == 2  # fmt: skip

    ntpts = person(dp, bot, 2001)
    await join(admin, ntpts, "Norilsk Technical School")
    [panel] = await ntpts.send("/staff")
    assert "Total: 1" in panel["text"], panel["text"]
    [queue] = await ntpts.click("📥 All applications", panel)
    assert numbers(queue) == ["M-2027-0001"]  # the Latin M on an English screen
    [card] = await ntpts.click(labels(queue)[0], queue)
    assert "Application M-2027-0001" in card["text"]
    assert "Сидорова Мария Ивановна" in card["text"]
    [card] = await ntpts.click("📜 Original received", card)
    assert "Original certificate: received" in card["text"]
    assert await db.fetchval("SELECT original_received FROM applications") == 1

    [panel] = await ntpts.send("/staff")
    await ntpts.click("🔎 Search", panel)
    [found] = await ntpts.send("Сидорова")
    assert "Application M-2027-0001" in found["text"]

    kinds = await start_broadcast(ntpts, "Open doors")
    replies = await choose(ntpts, kinds, "📌 Applicants with a status", "submitted")
    assert recipients_of(replies[-1]) == 1

    # The Taimyr college's staff see none of it.
    taimyr = person(dp, bot, 2002)
    await join(admin, taimyr, "Taimyr College")
    [panel] = await taimyr.send("/staff")
    assert "Total: 0" in panel["text"]

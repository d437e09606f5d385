"""After the last campaign in the catalogue has ended, nothing is accepted under it: the form
says admission is closed and offers a question to the admission office; an application of
a campaign that is over can no longer be changed; no admission reminders are planned."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.catalog import default_catalog_bytes, parse_catalog
from bot.domain.reminders import Planner, Snapshot
from db.applications import ApplicationRepository
from db.database import Database
from db.reminders import ApplicantState
from tests.client import UserClient, labels
from tests.conftest import FixedClock
from tests.helpers import fill_form, submit

# The shipped catalogue's last campaign (2027) ends on 25 November 2027 (extra acceptance).
LAST_DAY = date(2027, 11, 25)
AFTER = date(2027, 11, 26)
ASK = "✍️ Ask the admission office"


async def test_with_every_campaign_over_apply_says_so_and_offers_a_question(
    english_user: UserClient, clock: FixedClock, db: Database
) -> None:
    clock.set_local_date(AFTER)
    [menu] = await english_user.send("/start")
    [closed] = await english_user.click("📝 Apply", menu)
    assert "Admission is closed" in closed["text"]
    assert ASK in labels(closed) and "✅ I agree" not in labels(closed)
    [prompt] = await english_user.click(ASK, closed)
    assert "question" in prompt["text"].lower()
    assert await db.fetchval("SELECT count(*) FROM consents") == 0


async def test_a_form_submitted_after_the_last_campaign_ended_is_not_stored(
    english_user: UserClient, clock: FixedClock, db: Database
) -> None:
    clock.set_local_date(LAST_DAY)
    review = await fill_form(english_user)
    clock.set_local_date(AFTER)  # the applicant pressed Submit the next morning
    [closed] = await english_user.click("✅ Submit", review)
    assert "Admission is closed" in closed["text"] and "not saved" in closed["text"]
    assert ASK in labels(closed)
    assert await db.fetchval("SELECT count(*) FROM applications") == 0
    assert await db.fetchval("SELECT count(*) FROM documents") == 0
    assert await db.fetchval("SELECT count(*) FROM fsm WHERE data LIKE '%Иванова%'") == 0


async def test_on_the_last_day_the_application_is_stored_under_that_campaign(
    english_user: UserClient, clock: FixedClock, db: Database
) -> None:
    clock.set_local_date(LAST_DAY)
    mine = await submit(english_user, await fill_form(english_user))
    assert "Application M-2027-0001" in mine["text"]
    assert await db.fetchval("SELECT campaign_year FROM applications") == 2027


async def test_how_to_apply_without_a_campaign_offers_a_question_not_apply(
    english_user: UserClient, clock: FixedClock
) -> None:
    clock.set_local_date(AFTER)
    [menu] = await english_user.send("/start")
    [howto] = await english_user.click("📋 How to apply", menu)
    assert "Admission is closed" in howto["text"]
    assert "🏆 How places are given" in labels(howto)
    assert ASK in labels(howto) and "📝 Apply" not in labels(howto)


async def test_an_application_of_a_campaign_that_is_over_can_no_longer_be_changed(
    english_user: UserClient, clock: FixedClock, db: Database
) -> None:
    clock.set_local_date(LAST_DAY)
    mine = await submit(english_user, await fill_form(english_user))
    [review] = await english_user.click("✏️ Change answers", mine)  # started on the last day
    clock.set_local_date(AFTER)
    [dorm] = await english_user.click("✏️ Dormitory", review)
    [review] = await english_user.click("Yes, I need one", dorm)
    [mine] = await english_user.click("💾 Save changes", review)
    assert "Admission 2027 is over" in english_user.answers()[-1]["text"]
    assert "Admission 2027 is over" in mine["text"]
    assert labels(mine)[:1] == ["🗑 Delete my data"]  # no add, change, withdraw
    # Buttons of an older screen do nothing but say why.
    for data in ("ma:add_doc:", "ma:kind:passport", "ma:edit:", "ma:withdraw_yes:"):
        await english_user.click_data(data, mine)
        answer = english_user.answers()[-1]
        assert "Admission 2027 is over" in answer["text"] and answer["show_alert"], data
    application = await ApplicationRepository(db).for_user(1002)
    assert application is not None and application.status == "submitted"
    assert not application.data.dormitory and len(application.documents) == 3
    assert len(application.history) == 1


async def test_the_staff_still_see_the_last_campaign_after_it_ended(
    english_user: UserClient, clock: FixedClock, dp: Any, bot: Any
) -> None:
    clock.set_local_date(LAST_DAY)
    await submit(english_user, await fill_form(english_user))
    clock.set_local_date(AFTER)
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    [panel] = await admin.send("/staff")
    assert "Admission 2027" in panel["text"] and "submitted (1)" in labels(panel)


def test_no_admission_reminders_are_planned_once_every_campaign_is_over() -> None:
    catalog, _ = parse_catalog(default_catalog_bytes())
    assert catalog is not None
    planner = Planner(ZoneInfo("Asia/Krasnoyarsk"))
    applicant = ApplicantState(
        application_id=1,
        user_id=7,
        campaign_year=2027,
        status="submitted",
        original_received=False,
        medical_received=False,
        has_medical_document=False,
        specialties=("22.02.08",),
        history_id=1,
        status_changed_at=datetime(2027, 11, 1, tzinfo=UTC),
    )
    data = Snapshot(applicants=[applicant], unfinished={8}, subscriptions={9: ["22.02.08"]})
    before = planner.plan(datetime(2027, 8, 10, 2, tzinfo=UTC), catalog, data)
    assert {m.chat_id for m in before} == {7, 8, 9}  # deadlines ahead for each of them
    after = planner.plan(datetime(2027, 11, 26, 5, tzinfo=UTC), catalog, data)
    assert after == []

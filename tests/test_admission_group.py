"""With ``ADMISSION_CHAT_ID`` set to a group, everything meant for the admission staff goes to
that group (in the default language, Russian) and nothing to the ``ADMIN_IDS`` privately:
new applications with their documents, the applicant's own changes, retention notices."""

from __future__ import annotations

from datetime import date

import pytest
from aiogram import Bot, Dispatcher
from aiogram.utils.i18n import I18n

from bot.app import build_dispatcher
from bot.config import Settings
from bot.delivery.pacing import GROUP_CHAT_INTERVAL, PRIVATE_CHAT_INTERVAL, chat_interval
from bot.domain.applications import STAFF_EVENT_DELAY
from db.database import Database
from tests.client import UserClient
from tests.conftest import FixedClock
from tests.helpers import fill_form, sender_of, submit

GROUP_ID = -100_777


@pytest.fixture
def group_dp(settings: Settings, db: Database, i18n: I18n, clock: FixedClock) -> Dispatcher:
    with_group = settings.model_copy(update={"admission_chat_id": GROUP_ID, "admin_ids": {1, 2}})
    return build_dispatcher(settings=with_group, db=db, i18n=i18n, clock=clock)


def chats_of(bot: Bot, start: int = 0) -> list[tuple[str, int]]:
    return [
        (c.method, c.params["chat_id"])
        for c in bot.session.calls[start:]  # type: ignore[attr-defined]
        if c.method.startswith("send") and c.result is not None
    ]


async def test_a_new_application_and_its_documents_go_to_the_group_only(
    group_dp: Dispatcher, bot: Bot
) -> None:
    applicant = UserClient(group_dp, bot, user_id=3001, language_code="en")
    await submit(applicant, await fill_form(applicant))
    start = len(bot.session.calls)  # type: ignore[attr-defined]
    assert await sender_of(group_dp).drain(bot) == 1
    assert chats_of(bot, start) == [
        ("sendMessage", GROUP_ID),
        ("sendPhoto", GROUP_ID),
        ("sendPhoto", GROUP_ID),
        ("sendPhoto", GROUP_ID),
    ]
    summary = bot.session.calls[start].params["text"]  # type: ignore[attr-defined]
    assert summary.startswith("🆕 <b>Новое заявление М-2027-0001</b>")


async def test_the_applicants_own_changes_are_told_to_the_group(
    group_dp: Dispatcher, bot: Bot, clock: FixedClock
) -> None:
    applicant = UserClient(group_dp, bot, user_id=3001, language_code="en")
    mine = await submit(applicant, await fill_form(applicant))
    await sender_of(group_dp).drain(bot)
    [question] = await applicant.click("↩️ Withdraw", mine)
    [mine] = await applicant.click("Yes, withdraw", question)
    await applicant.click("🔁 Submit again", mine)
    start = len(bot.session.calls)  # type: ignore[attr-defined]
    clock.current += STAFF_EVENT_DELAY  # the staff hear of an applicant's changes a little later
    await sender_of(group_dp).drain(bot)
    to_group = [
        c.params["text"]
        for c in bot.session.calls[start:]  # type: ignore[attr-defined]
        if c.method == "sendMessage" and c.params["chat_id"] == GROUP_ID
    ]
    # Both changes in one message (coalesced), with where the application stands now.
    assert to_group == [
        "↩️ Заявление М-2027-0001 отозвано поступающим.\n"
        "🔁 Заявление М-2027-0001 снова подано поступающим.\n"
        "Статус сейчас: «подано»."
    ]
    assert not [chat for _, chat in chats_of(bot, start) if chat in (1, 2)]


async def test_retention_notices_go_to_the_group(
    group_dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    applicant = UserClient(group_dp, bot, user_id=3001, language_code="en")
    await submit(applicant, await fill_form(applicant))
    await sender_of(group_dp).drain(bot)
    clock.set_local_date(date(2028, 2, 16))  # a week before the erasure of the 2027 campaign
    await group_dp["retention"].run()
    start = len(bot.session.calls)  # type: ignore[attr-defined]
    await sender_of(group_dp).drain(bot)
    assert chats_of(bot, start) == [("sendMessage", GROUP_ID)]
    kinds = await db.fetchall("SELECT kind, chat_id FROM outbox WHERE kind LIKE 'retention%'")
    assert [tuple(k) for k in kinds] == [("retention_warning", GROUP_ID)]


def test_a_group_chat_is_paced_as_a_group() -> None:
    # 20 messages a minute to a group, one a second to a person.
    assert chat_interval(GROUP_ID, PRIVATE_CHAT_INTERVAL, GROUP_CHAT_INTERVAL) == 3.0
    assert chat_interval(3001, PRIVATE_CHAT_INTERVAL, GROUP_CHAT_INTERVAL) == 1.0
    assert GROUP_CHAT_INTERVAL * 20 >= 60

"""The simulated users: callback queries and what a user sees."""

from __future__ import annotations

import asyncio

import pytest
from aiogram.types import CallbackQuery, Message, Update

from bot.emulator import FakeBotAPI, FakeUser
from tests.emulator.api import CHAT, Api, keyboard

# --- callback queries ---------------------------------------------------------------------------


async def test_click_pushes_a_callback_query_with_the_button_data(api: Api, user: FakeUser) -> None:
    sent = await api.send(
        "menu",
        reply_markup=keyboard(
            {"text": "Каталог", "callback_data": "catalog"},
            {"text": "Site", "url": "https://x.org"},
        ),
    )
    query_id = user.click("Каталог")
    [update] = await api.ok("getUpdates")
    query = update["callback_query"]
    assert query["id"] == query_id
    assert query["data"] == "catalog"
    assert query["from"]["id"] == CHAT
    assert query["message"]["message_id"] == sent["message_id"]
    CallbackQuery.model_validate(query)


async def test_click_on_a_missing_button_lists_the_available_ones(api: Api, user: FakeUser) -> None:
    await api.send("menu", reply_markup=keyboard({"text": "A", "callback_data": "a"}))
    with pytest.raises(AssertionError, match=r"no inline button 'B'.*available: \['A'\]"):
        user.click("B")
    await api.send("links", reply_markup=keyboard({"text": "Site", "url": "https://x.org"}))
    with pytest.raises(AssertionError, match="no callback_data"):
        user.click("Site")


async def test_click_without_any_keyboard_fails_clearly(user: FakeUser) -> None:
    with pytest.raises(AssertionError, match="no bot message with an inline keyboard"):
        user.click("A")


async def test_click_sees_the_current_keyboard_of_an_edited_message(
    api: Api, user: FakeUser
) -> None:
    sent = await api.send("menu", reply_markup=keyboard({"text": "Old", "callback_data": "old"}))
    await api.send("other", reply_markup=keyboard({"text": "Other", "callback_data": "o"}))
    await api.ok(
        "editMessageReplyMarkup",
        chat_id=CHAT,
        message_id=sent["message_id"],
        reply_markup=keyboard({"text": "New", "callback_data": "new"}),
    )
    with pytest.raises(AssertionError, match="available: \\['New'\\]"):
        user.click("Old", message=sent)
    user.click("New", message=sent)
    assert api.fake.callback_queries[next(reversed(api.fake.callback_queries))].data == "new"


async def test_click_data_sends_crafted_data(api: Api, user: FakeUser) -> None:
    await api.send("menu", reply_markup=keyboard({"text": "A", "callback_data": "a"}))
    user.click_data("spec:999999")
    [update] = await api.ok("getUpdates")
    assert update["callback_query"]["data"] == "spec:999999"


async def test_answering_a_callback_query_twice_or_unknown_is_rejected(
    api: Api, user: FakeUser
) -> None:
    await api.send("menu", reply_markup=keyboard({"text": "A", "callback_data": "a"}))
    query_id = user.click("A")
    assert await api.ok("answerCallbackQuery", callback_query_id=query_id) is True
    expected = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    assert await api.error("answerCallbackQuery", callback_query_id=query_id) == expected
    assert await api.error("answerCallbackQuery", callback_query_id="123") == expected


async def test_callback_answer_text_over_200_characters_is_rejected(
    api: Api, user: FakeUser
) -> None:
    await api.send("menu", reply_markup=keyboard({"text": "A", "callback_data": "a"}))
    query_id = user.click("A")
    await api.error("answerCallbackQuery", callback_query_id=query_id, text="x" * 201)
    assert await api.ok("answerCallbackQuery", callback_query_id=query_id, text="x" * 200)


async def test_wait_callback_answered_returns_the_answer(api: Api, user: FakeUser) -> None:
    await api.send("menu", reply_markup=keyboard({"text": "A", "callback_data": "a"}))
    query_id = user.click("A")
    answering = asyncio.create_task(
        api.ok("answerCallbackQuery", callback_query_id=query_id, text="Готово", show_alert=True)
    )
    answer = await api.fake.wait_callback_answered(query_id, timeout=5)
    assert answer["text"] == "Готово"
    assert answer["show_alert"] is True
    await answering


# --- user model ---------------------------------------------------------------------------------


async def test_user_messages_are_valid_updates(api: Api, user: FakeUser) -> None:
    command = user.send("/start payload")
    assert command["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert "entities" not in user.send("hello")
    user.send_sticker()
    photo = user.send_photo(caption="look")
    document = user.send_document("отчёт.xlsx", "application/vnd.ms-excel", 2048)
    contact = user.send_contact("+79990001122", user_id=555)
    updates = await api.ok("getUpdates")
    assert len(updates) == 6
    parsed = [Update.model_validate(u).message for u in updates]
    assert all(isinstance(m, Message) for m in parsed)
    assert parsed[0].from_user.language_code == "ru"
    assert parsed[2].sticker is not None
    assert photo["caption"] == "look"
    assert parsed[3].photo[-1].width == 1280
    assert parsed[4].document.file_name == "отчёт.xlsx"
    assert document["document"]["file_size"] == 2048
    assert contact["contact"]["user_id"] == 555
    assert "user_id" not in user.send_contact("+7", user_id=0)["contact"]
    assert [m["message_id"] for m in api.fake.chats[CHAT]] == [1, 2, 3, 4, 5, 6, 7]


async def test_user_documents_can_be_downloaded_via_get_file(api: Api, user: FakeUser) -> None:
    sent = user.send_document("a.txt", "text/plain", content=b"hello")
    file = await api.ok("getFile", file_id=sent["document"]["file_id"])
    assert file["file_size"] == 5
    async with api.http.get(
        f"{api.fake.base_url}/file/bot{api.fake.token}/{file['file_path']}"
    ) as r:
        assert await r.read() == b"hello"
    big = user.send_document("big.zip", "application/zip", 21 * 1024 * 1024)
    assert await api.error("getFile", file_id=big["document"]["file_id"]) == (
        "Bad Request: file is too big"
    )
    assert await api.error("getFile", file_id="nope") == "Bad Request: invalid file_id"


async def test_user_is_created_once_per_id(fake: FakeBotAPI) -> None:
    assert fake.user(5, first_name="A") is fake.user(5, first_name="B")

"""Where the emulator used to differ from Telegram, each rule with its source.

Sources: the Bot API 10.1 reference (https://core.telegram.org/bots/api) and the Bots FAQ
(https://core.telegram.org/bots/faq) for the flood limits and privacy mode.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiogram.exceptions import TelegramForbiddenError

from bot.emulator import FakeBotAPI, FakeUser, TelegramLimits
from tests.emulator.api import CHAT, Api, bot_for

GROUP = -1001234567890


# --- a bot cannot write first ------------------------------------------------------------------


async def test_the_bot_cannot_write_first_to_a_user_who_never_started_it(
    api: Api, fake: FakeBotAPI
) -> None:
    # Bot API, «Sending messages»: a bot can't initiate conversations with users; a user must
    # send it a message first. Telegram answers 403, which aiogram raises as
    # TelegramForbiddenError (the sender's «unreachable» path), not 400 «chat not found».
    stranger = fake.user(2002, "Вера")
    description = await api.error("sendMessage", 403, chat_id=2002, text="Hello")
    assert description == "Forbidden: bot can't initiate conversation with a user"
    for method, params in [
        ("sendPhoto", {"photo": "https://example.org/a.jpg"}),
        ("sendChatAction", {"action": "typing"}),
    ]:
        assert "can't initiate" in await api.error(method, 403, chat_id=2002, **params)
    async with bot_for(fake) as bot:
        with pytest.raises(TelegramForbiddenError):
            await bot.send_message(2002, "Hello")
    assert stranger.messages() == []

    stranger.send("/start")
    assert (await api.send("Hello", chat_id=2002))["text"] == "Hello"
    assert fake.user(2003, started=True).started  # someone who started the bot before the test
    # An id nobody has is still «chat not found».
    assert await api.error("sendMessage", chat_id=2999, text="x") == "Bad Request: chat not found"


# --- groups and supergroups -------------------------------------------------------------------


async def test_in_a_group_a_bot_in_privacy_mode_gets_commands_replies_to_it_and_mentions(
    api: Api, fake: FakeBotAPI
) -> None:
    # FAQ, «What messages will my bot get?»: with privacy mode on (the default), in groups a
    # bot gets commands meant for it, replies to its messages and messages that mention it;
    # never its own messages.
    group = fake.group(GROUP, "Приёмная комиссия")
    staff = fake.user(1, "Ольга")
    assert (await api.ok("getMe"))["can_read_all_group_messages"] is False

    posted = await api.send("#Q1 · Question", chat_id=GROUP)
    assert posted["chat"] == {"id": GROUP, "type": "supergroup", "title": "Приёмная комиссия"}
    assert fake.pending_updates() == 0  # not its own message

    group.send(staff, "Коллеги, кто ответит?")
    group.send(staff, "/stats@other_bot")
    assert fake.pending_updates() == 0
    assert [m["text"] for m in group.unseen] == ["Коллеги, кто ответит?", "/stats@other_bot"]

    group.send(staff, "/staff@fake_test_bot")
    group.send(staff, "/staff")
    group.send(staff, "@fake_test_bot, help")
    reply = group.reply(staff, posted, "С 20 июня.")
    updates = fake.take_updates()
    assert [u["message"]["text"] for u in updates] == [
        "/staff@fake_test_bot",
        "/staff",
        "@fake_test_bot, help",
        "С 20 июня.",
    ]
    assert reply["chat"]["type"] == "supergroup" and reply["from"]["id"] == 1
    replied = updates[-1]["message"]["reply_to_message"]
    assert replied["message_id"] == posted["message_id"]
    assert replied["from"]["is_bot"] is True and replied["text"] == "#Q1 · Question"

    # A reply to someone else's message is not for the bot.
    other = group.send(staff, "/staff")
    fake.take_updates()
    group.reply(fake.user(2, "Иван"), other, "Я отвечу")
    assert fake.pending_updates() == 0


async def test_without_privacy_mode_the_bot_gets_every_group_message() -> None:
    async with FakeBotAPI(privacy_mode=False) as fake, aiohttp.ClientSession() as http:
        fake.expect_rejections()
        group = fake.group(-42, "Group", supergroup=False)
        group.send(fake.user(1), "hello")
        assert [u["message"]["chat"]["type"] for u in fake.take_updates()] == ["group"]
        assert (await Api(http, fake).ok("getMe"))["can_read_all_group_messages"] is True


async def test_a_member_presses_a_button_of_the_bots_message_in_the_group(
    api: Api, fake: FakeBotAPI
) -> None:
    group = fake.group(GROUP)
    markup = {"inline_keyboard": [[{"text": "✍️ Answer", "callback_data": "q:answer:1"}]]}
    await api.send("#Q1", chat_id=GROUP, reply_markup=markup)
    query_id = group.click(fake.user(1), "✍️ Answer")
    [update] = fake.take_updates()
    query = update["callback_query"]
    assert query["id"] == query_id and query["from"]["id"] == 1
    assert query["message"]["chat"]["id"] == GROUP


async def test_a_bot_removed_from_the_group_is_forbidden_there(api: Api, fake: FakeBotAPI) -> None:
    group = fake.group(GROUP)
    group.remove_bot()
    description = await api.error("sendMessage", 403, chat_id=GROUP, text="x")
    assert description == "Forbidden: bot was kicked from the supergroup chat"


async def test_a_group_gets_at_most_twenty_messages_a_minute() -> None:
    # FAQ, «My bot is hitting limits»: no more than 20 messages per minute to the same group;
    # beyond, 429 with the seconds to wait.
    limits = TelegramLimits(per_chat_per_second=100, latency=(0.0, 0.0))
    async with FakeBotAPI(limits=limits) as fake, aiohttp.ClientSession() as http:
        fake.expect_rejections("Too Many Requests")
        api = Api(http, fake)
        fake.group(GROUP)
        fake.user(CHAT, started=True)
        for number in range(20):
            await api.send(f"application {number}", chat_id=GROUP)
        status, body = await api.raw("sendMessage", json={"chat_id": GROUP, "text": "21st"})
        assert status == 429
        assert 55 <= body["parameters"]["retry_after"] <= 60
        await api.send("a private chat is not a group", chat_id=CHAT)
        assert fake.delivered_count(GROUP) == 20 and fake.too_many_requests == 1


# --- files are sent as what they are -----------------------------------------------------------


async def test_a_documents_file_id_is_refused_as_a_photo_and_a_photos_as_a_document(
    api: Api, user: FakeUser, fake: FakeBotAPI
) -> None:
    # Bot API, «Sending files»: a file_id is reused for the same kind of file; Telegram answers
    # «can't use file of type Document as Photo» even for a JPEG sent as a document.
    scan = user.send_document("scan.jpg", "image/jpeg")["document"]["file_id"]
    photo = user.send_photo()["photo"][-1]["file_id"]
    description = await api.error("sendPhoto", chat_id=CHAT, photo=scan)
    assert description == "Bad Request: can't use file of type Document as Photo"
    description = await api.error("sendDocument", chat_id=CHAT, document=photo)
    assert description == "Bad Request: can't use file of type Photo as Document"
    media = [{"type": "photo", "media": photo}, {"type": "photo", "media": scan}]
    assert "Document as Photo" in await api.error("sendMediaGroup", chat_id=CHAT, media=media)
    assert await api.ok("sendPhoto", chat_id=CHAT, photo=photo)
    assert await api.ok("sendDocument", chat_id=CHAT, document=scan)


# --- editMessageCaption --------------------------------------------------------------------------


async def test_edit_message_caption(api: Api, user: FakeUser) -> None:
    # Bot API, editMessageCaption: «caption: New caption of the message, 0-1024 characters
    # after entities parsing»; an inline keyboard may go with it.
    sent = await api.ok("sendPhoto", chat_id=CHAT, photo="https://example.org/a.jpg", caption="v1")
    target = {"chat_id": CHAT, "message_id": sent["message_id"]}
    edited = await api.ok("editMessageCaption", caption="<b>v2</b>", parse_mode="HTML", **target)
    assert edited["caption"] == "v2"
    assert edited["caption_entities"] == [{"type": "bold", "offset": 0, "length": 2}]
    assert user.last()["raw_caption"] == "<b>v2</b>" and user.last()["edited"][0]["caption"] == "v1"
    same = await api.error("editMessageCaption", caption="<b>v2</b>", parse_mode="HTML", **target)
    assert same.startswith("Bad Request: message is not modified")
    too_long = await api.error("editMessageCaption", caption="Ж" * 1025, **target)
    assert too_long == "Bad Request: message caption is too long"
    removed = await api.ok("editMessageCaption", **target)
    assert "caption" not in removed

    text = await api.send("no media")
    description = await api.error(
        "editMessageCaption", chat_id=CHAT, message_id=text["message_id"], caption="x"
    )
    assert description == "Bad Request: there is no caption in the message to edit"


# --- explicit entities ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entities", "problem"),
    [
        ([{"type": "bold", "offset": 0, "length": 10}], "outside the text of 9 UTF-16 units"),
        ([{"type": "bold", "offset": -1, "length": 2}], "outside the text"),
        ([{"type": "bold", "offset": 0, "length": 0}], "outside the text"),
        ([{"type": "bold", "offset": 1, "length": 2}], "splits a character in two"),
        ([{"type": "shiny", "offset": 0, "length": 2}], "has an unsupported type"),
        ([{"type": "text_link", "offset": 0, "length": 2}], "needs a valid url"),
        ([{"type": "text_mention", "offset": 0, "length": 2}], "needs the mentioned user"),
    ],
)
async def test_explicit_entities_must_fit_the_text(
    api: Api, user: FakeUser, entities: list[dict[str, Any]], problem: str
) -> None:
    # Bot API, MessageEntity: offset and length in UTF-16 code units; url for text_link, user
    # for text_mention. Telegram silently drops what does not fit; the emulator refuses it.
    text = "😀 Привет"  # the emoji is two UTF-16 units: 9 in all
    description = await api.error("sendMessage", chat_id=CHAT, text=text, entities=entities)
    assert description.startswith("Bad Request: can't parse entities: entity 0")
    assert problem in description


async def test_entities_counted_in_utf16_units_are_accepted(api: Api, user: FakeUser) -> None:
    entities = [
        {"type": "bold", "offset": 3, "length": 6},
        {"type": "text_link", "offset": 0, "length": 2, "url": "https://example.org"},
    ]
    sent = await api.send("😀 Привет", entities=entities)
    assert sent["entities"] == entities
    description = await api.error(
        "sendPhoto",
        chat_id=CHAT,
        photo="https://example.org/a.jpg",
        caption="Фото",
        caption_entities=[{"type": "italic", "offset": 0, "length": 5}],
    )
    assert "outside the text of 4 UTF-16 units" in description


# --- deleteMessage --------------------------------------------------------------------------------


async def test_delete_message_within_48_hours(api: Api, user: FakeUser, fake: FakeBotAPI) -> None:
    # Bot API, deleteMessage: a message can only be deleted if it was sent less than 48 hours
    # ago; bots can delete outgoing messages, and incoming ones in private chats.
    mine = await api.send("mine")
    theirs = user.send("theirs")
    assert await api.ok("deleteMessage", chat_id=CHAT, message_id=mine["message_id"]) is True
    assert await api.ok("deleteMessage", chat_id=CHAT, message_id=theirs["message_id"]) is True
    assert user.messages() == [] and user.messages(include_deleted=True)[0]["deleted"]
    again = await api.error("deleteMessage", chat_id=CHAT, message_id=mine["message_id"])
    assert again == "Bad Request: message to delete not found"

    old = await api.send("old")
    fake.advance(48 * 3600)
    description = await api.error("deleteMessage", chat_id=CHAT, message_id=old["message_id"])
    assert description == "Bad Request: message can't be deleted"
    fresh = await api.send("fresh")
    assert await api.ok("deleteMessage", chat_id=CHAT, message_id=fresh["message_id"]) is True


async def test_in_a_group_the_bot_deletes_others_messages_only_as_an_administrator(
    api: Api, fake: FakeBotAPI
) -> None:
    group = fake.group(GROUP)
    member = fake.user(1)
    mine = await api.send("post", chat_id=GROUP)
    theirs = group.send(member, "/staff")
    description = await api.error("deleteMessage", chat_id=GROUP, message_id=theirs["message_id"])
    assert description == "Bad Request: message can't be deleted"
    assert await api.ok("deleteMessage", chat_id=GROUP, message_id=mine["message_id"]) is True
    group.bot_admin = True
    assert await api.ok("deleteMessage", chat_id=GROUP, message_id=theirs["message_id"]) is True


async def test_delete_messages_skips_the_missing_ones(api: Api, user: FakeUser) -> None:
    # Bot API, deleteMessages: «If some of the specified messages can't be found, they are
    # skipped.»
    first, second = await api.send("1"), await api.send("2")
    ids = [first["message_id"], 999, second["message_id"]]
    assert await api.ok("deleteMessages", chat_id=CHAT, message_ids=ids) is True
    assert user.messages() == []
    assert "1-100" in await api.error("deleteMessages", chat_id=CHAT, message_ids=[])

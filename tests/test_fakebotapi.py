"""Tests of the fake Telegram Bot API server used by the end-to-end tests."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)

from bot.fakebotapi import (
    ApiError,
    FakeBotAPI,
    FakeUser,
    TelegramLimits,
    _SlidingWindow,
    inline_buttons,
    parse_html,
    utf16_len,
)

CHAT = 1001


def keyboard(*buttons: dict[str, Any]) -> dict[str, Any]:
    """An inline keyboard with one button per row."""
    return {"inline_keyboard": [[button] for button in buttons]}


class Api:
    """Raw HTTP access to the fake, asserting Telegram's envelope on every answer."""

    def __init__(self, http: aiohttp.ClientSession, fake: FakeBotAPI) -> None:
        self.http = http
        self.fake = fake

    def url(self, method: str, token: str | None = None) -> str:
        return f"{self.fake.base_url}/bot{token or self.fake.token}/{method}"

    async def raw(
        self, method: str, *, token: str | None = None, **kwargs: Any
    ) -> tuple[int, dict[str, Any]]:
        async with self.http.post(self.url(method, token), **kwargs) as response:
            body = await response.json()
        if body["ok"]:
            assert response.status == 200
        else:
            assert response.status == body["error_code"]
        return response.status, body

    async def ok(self, method: str, **params: Any) -> Any:
        _, body = await self.raw(method, json=params)
        assert body["ok"], body
        return body["result"]

    async def error(self, method: str, code: int = 400, **params: Any) -> str:
        status, body = await self.raw(method, json=params)
        assert not body["ok"], body
        assert status == code, body
        return body["description"]

    async def send(self, text: str, chat_id: int = CHAT, **params: Any) -> dict[str, Any]:
        return await self.ok("sendMessage", chat_id=chat_id, text=text, **params)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def api(fake: FakeBotAPI) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as http:
        yield Api(http, fake)


@pytest.fixture
def user(fake: FakeBotAPI) -> FakeUser:
    return fake.user(CHAT, first_name="Аня")


def bot_for(fake: FakeBotAPI) -> Bot:
    return Bot(fake.token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))


# --- protocol ---------------------------------------------------------------------------------


async def test_get_me_returns_the_bot_user(api: Api) -> None:
    me = await api.ok("getMe")
    assert me["is_bot"] is True
    assert me["id"] == 123456
    assert me["first_name"]
    assert me["username"] == "fake_test_bot"


async def test_server_listens_on_localhost_with_a_free_port(fake: FakeBotAPI) -> None:
    assert fake.port > 0
    assert fake.base_url == f"http://127.0.0.1:{fake.port}"


async def test_wrong_token_is_unauthorized(api: Api, fake: FakeBotAPI) -> None:
    status, body = await api.raw("getMe", token="654321:other")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    assert fake.rejected[-1].error_code == 401


async def test_unknown_method_is_not_found(api: Api, fake: FakeBotAPI) -> None:
    status, body = await api.raw("sendPoll", json={"chat_id": CHAT})
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert fake.rejected[-1].method == "sendPoll"


async def test_method_names_are_case_insensitive(api: Api, user: FakeUser) -> None:
    assert (await api.ok("GETME"))["is_bot"]
    message = await api.ok("sendmessage", chat_id=CHAT, text="hi")
    assert message["text"] == "hi"
    assert api.fake.requests[-1].method == "sendMessage"


async def test_urlencoded_bodies_are_decoded_like_aiogram_sends_them(
    api: Api, user: FakeUser
) -> None:
    markup = keyboard({"text": "A", "callback_data": "a"})
    form = {"chat_id": str(CHAT), "text": "hi", "reply_markup": json.dumps(markup)}
    _, body = await api.raw("sendMessage", data=form)
    assert body["result"]["reply_markup"] == markup
    params = api.fake.requests[-1].params
    assert params == {"chat_id": CHAT, "text": "hi", "reply_markup": markup}


async def test_multipart_bodies_with_files_are_decoded(api: Api, user: FakeUser) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(CHAT))
    form.add_field("document", "attach://upload")
    form.add_field("caption", "report")
    form.add_field("upload", b"%PDF-1.4", filename="report.pdf")
    _, body = await api.raw("sendDocument", data=form)
    document = body["result"]["document"]
    assert document["file_name"] == "report.pdf"
    assert document["mime_type"] == "application/pdf"
    assert api.fake.files[document["file_id"]].read() == b"%PDF-1.4"
    request = api.fake.requests[-1]
    assert request.params["chat_id"] == CHAT
    assert request.files["upload"].data == b"%PDF-1.4"


async def test_query_string_parameters_are_accepted(api: Api, user: FakeUser) -> None:
    async with api.http.get(api.url("sendMessage"), params={"chat_id": CHAT, "text": "q"}) as r:
        body = await r.json()
    assert body["result"]["text"] == "q"


async def test_malformed_reply_markup_json_is_rejected(api: Api, user: FakeUser) -> None:
    form = {"chat_id": str(CHAT), "text": "hi", "reply_markup": "{not json"}
    status, body = await api.raw("sendMessage", data=form)
    assert status == 400
    assert body["description"] == "Bad Request: can't parse reply keyboard markup JSON object"
    assert api.fake.rejected[-1].params["reply_markup"] == "{not json"  # kept as sent


async def test_every_request_is_recorded_with_its_time(api: Api, user: FakeUser) -> None:
    before = time.time()
    await api.send("one")
    await api.error("sendMessage", chat_id=CHAT)
    methods = [(r.method, r.ok) for r in api.fake.requests]
    assert methods == [("sendMessage", True), ("sendMessage", False)]
    assert all(r.time >= before for r in api.fake.requests)
    assert api.fake.calls("SENDMESSAGE")[0]["text"] == "one"
    assert [r.description for r in api.fake.rejected] == ["Bad Request: message text is empty"]


async def test_instances_are_independent() -> None:
    async with FakeBotAPI() as first, FakeBotAPI(token="42:other") as second:
        assert first.port != second.port
        first.user(1).send("only in the first")
        assert (first.pending_updates(), second.pending_updates()) == (1, 0)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{second.base_url}/bot42:other/getMe") as response:
                assert (await response.json())["result"]["id"] == 42


# --- getUpdates ---------------------------------------------------------------------------------


async def test_get_updates_returns_pending_updates_immediately(api: Api, user: FakeUser) -> None:
    user.send("hello")
    started = time.monotonic()
    updates = await api.ok("getUpdates", timeout=30)
    assert time.monotonic() - started < 1
    assert [u["message"]["text"] for u in updates] == ["hello"]
    Update.model_validate(updates[0])


async def test_long_poll_wakes_up_as_soon_as_an_update_arrives(api: Api, user: FakeUser) -> None:
    poll = asyncio.create_task(api.ok("getUpdates", timeout=30))
    await api.fake.wait_for(lambda: api.fake.calls("getUpdates"))
    assert not poll.done()
    started = time.monotonic()
    user.send("wake up")
    updates = await poll
    assert time.monotonic() - started < 1
    assert updates[0]["message"]["text"] == "wake up"


async def test_get_updates_without_timeout_returns_an_empty_list(api: Api) -> None:
    assert await api.ok("getUpdates") == []


async def test_offset_confirms_and_drops_older_updates(api: Api, user: FakeUser) -> None:
    for text in ("a", "b", "c"):
        user.send(text)
    first = await api.ok("getUpdates", limit=2)
    assert [u["message"]["text"] for u in first] == ["a", "b"]
    assert api.fake.pending_updates() == 3  # returned but not yet confirmed
    rest = await api.ok("getUpdates", offset=first[-1]["update_id"] + 1)
    assert [u["message"]["text"] for u in rest] == ["c"]
    assert api.fake.pending_updates() == 1
    await api.ok("getUpdates", offset=rest[-1]["update_id"] + 1)
    assert api.fake.pending_updates() == 0


async def test_negative_offset_keeps_only_the_latest_updates(api: Api, user: FakeUser) -> None:
    for text in ("a", "b", "c"):
        user.send(text)
    updates = await api.ok("getUpdates", offset=-1)
    assert [u["message"]["text"] for u in updates] == ["c"]
    assert api.fake.pending_updates() == 1


async def test_allowed_updates_drops_other_update_types(api: Api, user: FakeUser) -> None:
    await api.send("menu", reply_markup=keyboard({"text": "A", "callback_data": "a"}))
    user.click("A")
    user.send("text")
    updates = await api.ok("getUpdates", allowed_updates=["message"])
    assert [next(k for k in u if k != "update_id") for u in updates] == ["message"]
    assert "callback_query" in api.fake.dropped_updates[0]
    assert api.fake.allowed_updates == ["message"]


async def test_stop_ends_a_pending_long_poll_promptly() -> None:
    fake = FakeBotAPI()
    await fake.start()
    async with aiohttp.ClientSession() as http:
        url = f"{fake.base_url}/bot{fake.token}/getUpdates"
        poll = asyncio.create_task(http.post(url, json={"timeout": 60}))
        await fake.wait_for(lambda: fake.requests)
        started = time.monotonic()
        await fake.stop()
        assert time.monotonic() - started < 1
        async with await poll as response:
            assert (await response.json())["result"] == []


async def test_a_newer_poll_terminates_the_older_one_with_a_conflict(api: Api) -> None:
    older = asyncio.create_task(api.raw("getUpdates", json={"timeout": 30}))
    await api.fake.wait_for(lambda: api.fake.calls("getUpdates"))
    assert await api.ok("getUpdates") == []
    status, body = await older
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")


async def test_get_updates_conflicts_with_an_active_webhook(api: Api) -> None:
    description = await api.error("setWebhook", url="http://insecure.example")
    assert "HTTPS URL must be provided" in description
    assert await api.ok("setWebhook", url="https://bot.example/hook") is True
    assert (await api.ok("getWebhookInfo"))["url"] == "https://bot.example/hook"
    assert "webhook is active" in await api.error("getUpdates", code=409)
    assert await api.ok("deleteWebhook", drop_pending_updates=True) is True
    info = await api.ok("getWebhookInfo")
    assert info == {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
    assert await api.ok("logOut") is True
    assert await api.ok("close") is True


# --- commands and menu button -------------------------------------------------------------------


async def test_commands_are_stored_per_scope_and_language(api: Api, user: FakeUser) -> None:
    ru = [{"command": "start", "description": "Начать"}]
    en = [{"command": "start", "description": "Start"}, {"command": "help_me", "description": "?"}]
    chat_scope = {"type": "chat", "chat_id": CHAT}
    await api.ok("setMyCommands", commands=ru, language_code="ru")
    await api.ok("setMyCommands", commands=en, scope=chat_scope)
    assert api.fake.commands_for(language_code="ru") == ru
    assert api.fake.commands_for(chat_scope) == en
    assert api.fake.commands_for() == []
    assert await api.ok("getMyCommands", language_code="ru") == ru
    await api.ok("deleteMyCommands", language_code="ru")
    assert await api.ok("getMyCommands", language_code="ru") == []
    assert api.fake.commands_for(chat_scope) == en


@pytest.mark.parametrize("name", ["Start", "", "x" * 33, "with-dash", "/start", "пуск"])
async def test_invalid_command_names_are_rejected(api: Api, name: str) -> None:
    commands = [{"command": name, "description": "d"}]
    assert await api.error("setMyCommands", commands=commands) == "Bad Request: BOT_COMMAND_INVALID"


@pytest.mark.parametrize("description", ["", "d" * 257])
async def test_command_descriptions_must_have_1_to_256_characters(
    api: Api, description: str
) -> None:
    commands = [{"command": "start", "description": description}]
    assert "BOT_COMMAND_DESCRIPTION_INVALID" in await api.error("setMyCommands", commands=commands)
    ok = [{"command": "x" * 32, "description": "d" * 256}]
    assert await api.ok("setMyCommands", commands=ok) is True


async def test_unknown_command_scope_is_rejected(api: Api) -> None:
    commands = [{"command": "start", "description": "d"}]
    description = await api.error("setMyCommands", commands=commands, scope={"type": "everyone"})
    assert "scope" in description


async def test_chat_menu_button_is_stored(api: Api, user: FakeUser) -> None:
    await api.ok("setChatMenuButton", menu_button={"type": "commands"})
    assert api.fake.menu_buttons[None] == {"type": "commands"}
    web_app = {"type": "web_app", "text": "Open", "web_app": {"url": "http://x.example"}}
    assert "HTTPS" in await api.error("setChatMenuButton", chat_id=CHAT, menu_button=web_app)
    assert await api.ok("getChatMenuButton", chat_id=CHAT) == {"type": "commands"}


# --- sendMessage validation ---------------------------------------------------------------------


async def test_send_message_without_chat_id_is_rejected(api: Api) -> None:
    assert await api.error("sendMessage", text="hi") == "Bad Request: chat_id is empty"


async def test_send_message_to_an_unknown_chat_is_rejected(api: Api) -> None:
    assert await api.error("sendMessage", chat_id=777, text="hi") == "Bad Request: chat not found"


@pytest.mark.parametrize(
    ("text", "parse_mode"), [(None, None), ("", None), ("  \n", None), ("<b> </b>", "HTML")]
)
async def test_empty_text_is_rejected(
    api: Api, user: FakeUser, text: str | None, parse_mode: str | None
) -> None:
    params = {k: v for k, v in {"text": text, "parse_mode": parse_mode}.items() if v is not None}
    description = await api.error("sendMessage", chat_id=CHAT, **params)
    assert description == "Bad Request: message text is empty"


async def test_text_over_4096_utf16_units_is_rejected(api: Api, user: FakeUser) -> None:
    assert (await api.send("x" * 4096))["text"] == "x" * 4096
    too_long = await api.error("sendMessage", chat_id=CHAT, text="x" * 4097)
    assert too_long == "Bad Request: message is too long"
    # An emoji outside the BMP is two UTF-16 code units, as Telegram counts.
    assert await api.error("sendMessage", chat_id=CHAT, text="😀" * 2049) == too_long


async def test_length_is_checked_after_html_parsing(api: Api, user: FakeUser) -> None:
    message = await api.send("<b>" + "&lt;" * 4096 + "</b>", parse_mode="HTML")
    assert message["text"] == "<" * 4096
    assert message["entities"] == [{"type": "bold", "offset": 0, "length": 4096}]
    description = await api.error(
        "sendMessage", chat_id=CHAT, text="<i>" + "y" * 4097 + "</i>", parse_mode="HTML"
    )
    assert description == "Bad Request: message is too long"


async def test_unknown_parse_mode_is_rejected(api: Api, user: FakeUser) -> None:
    description = await api.error("sendMessage", chat_id=CHAT, text="hi", parse_mode="BBCode")
    assert description == "Bad Request: unsupported parse_mode"
    assert (await api.send("*hi*", parse_mode="MarkdownV2"))["text"] == "*hi*"
    assert (await api.send("<b>hi</b>", parse_mode="html"))["text"] == "hi"


async def test_invalid_html_is_rejected_with_the_parser_error(api: Api, user: FakeUser) -> None:
    description = await api.error("sendMessage", chat_id=CHAT, text="a <br> b", parse_mode="HTML")
    assert description == (
        'Bad Request: can\'t parse entities: Unsupported start tag "br" at byte offset 2'
    )
    assert api.fake.rejected[-1].params["text"] == "a <br> b"
    assert api.fake.chats[CHAT] == []


async def test_blocked_user_makes_sends_forbidden(api: Api, user: FakeUser) -> None:
    user.block()
    status, body = await api.raw("sendMessage", json={"chat_id": CHAT, "text": "hi"})
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    user.unblock()
    await api.send("hi")


async def test_reply_to_a_missing_message_is_rejected(api: Api, user: FakeUser) -> None:
    sent = user.send("question")
    reply = await api.send("answer", reply_parameters={"message_id": sent["message_id"]})
    assert reply["reply_to_message"]["text"] == "question"
    description = await api.error(
        "sendMessage", chat_id=CHAT, text="x", reply_parameters={"message_id": 999}
    )
    assert description == "Bad Request: message to be replied not found"


# --- HTML parser --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "text", "entities"),
    [
        ("plain", "plain", []),
        ("<b>b</b><strong>s</strong>", "bs", [("bold", 0, 1), ("bold", 1, 1)]),
        ("<i>i</i><em>e</em>", "ie", [("italic", 0, 1), ("italic", 1, 1)]),
        ("<u>u</u><ins>n</ins>", "un", [("underline", 0, 1), ("underline", 1, 1)]),
        ("<s>s</s><strike>t</strike>", "st", [("strikethrough", 0, 1), ("strikethrough", 1, 1)]),
        ("<del>deleted</del>", "deleted", [("strikethrough", 0, 7)]),
        ('<span class="tg-spoiler">x</span>', "x", [("spoiler", 0, 1)]),
        ("<tg-spoiler>y</tg-spoiler>", "y", [("spoiler", 0, 1)]),
        ("<code>c</code>", "c", [("code", 0, 1)]),
        ("<pre>p</pre>", "p", [("pre", 0, 1)]),
        ("<blockquote>q</blockquote>", "q", [("blockquote", 0, 1)]),
        ("<blockquote expandable>q</blockquote>", "q", [("expandable_blockquote", 0, 1)]),
        ("<B>upper</B>", "upper", [("bold", 0, 5)]),
        ("<b>bold <i>both</i></b>", "bold both", [("bold", 0, 9), ("italic", 5, 4)]),
        ("&lt;&gt;&amp;&quot;&#65;&#x42;", '<>&"AB', []),
        ("😀<b>x</b>", "😀x", [("bold", 2, 1)]),
    ],
)  # fmt: skip
def test_html_is_parsed_into_text_and_entities(
    html: str, text: str, entities: list[tuple[str, int, int]]
) -> None:
    plain, parsed = parse_html(html)
    assert plain == text
    assert [(e["type"], e["offset"], e["length"]) for e in parsed] == entities


def test_html_entity_arguments_are_kept() -> None:
    html = (
        '<a href="https://example.com/?a=1&b=2">link</a> '
        '<pre><code class="language-python">x = 1</code></pre> '
        '<tg-emoji emoji-id="53683241706712">👍</tg-emoji>'
    )
    plain, entities = parse_html(html)
    assert plain == "link x = 1 👍"
    assert entities == [
        {"type": "text_link", "offset": 0, "length": 4, "url": "https://example.com/?a=1&b=2"},
        {"type": "pre", "offset": 5, "length": 5, "language": "python"},
        {"type": "custom_emoji", "offset": 11, "length": 2, "custom_emoji_id": "53683241706712"},
    ]


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<span class="other">x</span>', 'Tag "span" must have class "tg-spoiler"'),
        ('<tg-emoji emoji-id="abc">x</tg-emoji>', "valid custom emoji identifier"),
        ("Tom & Jerry", 'Character "&" at byte offset 4'),
        ("&nbsp;", 'Character "&" at byte offset 0'),
        ("&lt", 'Character "&" at byte offset 0'),
        ("я &", 'Character "&" at byte offset 3'),
    ],
)
def test_invalid_html_is_rejected(html: str, error: str) -> None:
    with pytest.raises(ApiError) as raised:
        parse_html(html)
    assert raised.value.error_code == 400
    assert raised.value.description.startswith("Bad Request: can't parse entities: ")
    assert error in raised.value.description


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert utf16_len("a😀я") == 4


# --- keyboards ----------------------------------------------------------------------------------


async def test_callback_data_over_64_bytes_is_rejected(api: Api, user: FakeUser) -> None:
    ok = keyboard({"text": "ok", "callback_data": "ж" * 32})  # 64 bytes in UTF-8
    await api.send("fits", reply_markup=ok)
    too_long = keyboard({"text": "long", "callback_data": "ж" * 33})  # 33 characters, 66 bytes
    description = await api.error("sendMessage", chat_id=CHAT, text="x", reply_markup=too_long)
    assert description == "Bad Request: BUTTON_DATA_INVALID"


async def test_empty_callback_data_is_rejected(api: Api, user: FakeUser) -> None:
    markup = keyboard({"text": "empty", "callback_data": ""})
    description = await api.error("sendMessage", chat_id=CHAT, text="x", reply_markup=markup)
    assert description == "Bad Request: BUTTON_DATA_INVALID"


@pytest.mark.parametrize(
    ("button", "error"),
    [
        ({"text": "", "callback_data": "a"}, "Text buttons must be non-empty"),
        ({"callback_data": "a"}, "Text buttons must be non-empty"),
        ({"text": "just text"}, "text buttons are unallowed in the inline keyboard"),
        ({"text": "two", "callback_data": "a", "url": "https://x.org"}, "exactly one"),
        ({"text": "bad url", "url": "not a url"}, "Wrong HTTP URL"),
        ({"text": "app", "web_app": {"url": "http://x.org"}}, "Only HTTPS links are allowed"),
    ],
)
async def test_invalid_inline_buttons_are_rejected(
    api: Api, user: FakeUser, button: dict[str, Any], error: str
) -> None:
    description = await api.error(
        "sendMessage", chat_id=CHAT, text="x", reply_markup=keyboard(button)
    )
    assert description.startswith("Bad Request: ")
    assert error in description


async def test_inline_keyboard_must_be_an_array_of_arrays(api: Api, user: FakeUser) -> None:
    markup = {"inline_keyboard": [{"text": "a", "callback_data": "a"}]}
    assert "Array" in await api.error("sendMessage", chat_id=CHAT, text="x", reply_markup=markup)


async def test_url_and_other_action_buttons_are_accepted(api: Api, user: FakeUser) -> None:
    markup = keyboard(
        {"text": "site", "url": "https://example.org/page"},
        {"text": "share", "switch_inline_query": ""},
        {"text": "copy", "copy_text": {"text": "abc"}},
    )
    message = await api.send("links", reply_markup=markup)
    assert message["reply_markup"] == markup


async def test_reply_keyboard_is_tracked_and_can_be_pressed(api: Api, user: FakeUser) -> None:
    markup = {
        "keyboard": [[{"text": "Меню"}], [{"text": "Телефон", "request_contact": True}]],
        "resize_keyboard": True,
    }
    message = await api.send("choose", reply_markup=markup)
    assert "reply_markup" not in message  # Telegram only echoes inline keyboards
    assert user.last()["reply_markup"] == markup
    assert user.reply_keyboard == markup
    assert user.press("Меню")["text"] == "Меню"
    contact = user.press("Телефон")["contact"]
    assert contact == {"phone_number": user.phone_number, "first_name": "Аня", "user_id": CHAT}
    with pytest.raises(AssertionError, match="available: \\['Меню', 'Телефон'\\]"):
        user.press("Нет такой")
    await api.send("bye", reply_markup={"remove_keyboard": True})
    assert user.reply_keyboard is None
    bad = {"keyboard": [[{"text": ""}]]}
    assert "non-empty" in await api.error("sendMessage", chat_id=CHAT, text="x", reply_markup=bad)


# --- editing and deleting -----------------------------------------------------------------------


async def test_editing_a_message_the_bot_never_sent_is_rejected(api: Api, user: FakeUser) -> None:
    description = await api.error("editMessageText", chat_id=CHAT, message_id=99, text="new")
    assert description == "Bad Request: message to edit not found"
    sent = user.send("mine")
    description = await api.error(
        "editMessageText", chat_id=CHAT, message_id=sent["message_id"], text="new"
    )
    assert description == "Bad Request: message can't be edited"


async def test_edit_text_without_chat_id_is_rejected(api: Api) -> None:
    description = await api.error("editMessageText", message_id=1, text="new")
    assert description == "Bad Request: chat_id is empty"


async def test_edit_with_identical_content_is_not_modified(api: Api, user: FakeUser) -> None:
    markup = keyboard({"text": "A", "callback_data": "a"})
    sent = await api.send("<b>same</b>", parse_mode="HTML", reply_markup=markup)
    same = {"chat_id": CHAT, "message_id": sent["message_id"], "reply_markup": markup}
    description = await api.error("editMessageText", text="<b>same</b>", parse_mode="HTML", **same)
    assert description == (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    # Same characters without the bold entity is a modification.
    assert (await api.ok("editMessageText", text="same", **same))["text"] == "same"


async def test_edit_updates_the_message_in_place_and_keeps_history(
    api: Api, user: FakeUser
) -> None:
    sent = await api.send("<i>v1</i>", parse_mode="HTML")
    edited = await api.ok("editMessageText", chat_id=CHAT, message_id=sent["message_id"], text="v2")
    assert edited["message_id"] == sent["message_id"]
    assert "edit_date" in edited
    [stored] = user.messages()
    assert stored["text"] == "v2"
    assert stored["raw_text"] == "v2"
    assert stored["edited"][0]["text"] == "v1"
    assert stored["edited"][0]["raw_text"] == "<i>v1</i>"
    assert stored["edited"][0]["parse_mode"] == "HTML"


async def test_edit_without_markup_removes_the_inline_keyboard(api: Api, user: FakeUser) -> None:
    sent = await api.send("menu", reply_markup=keyboard({"text": "A", "callback_data": "a"}))
    edited = await api.ok(
        "editMessageText", chat_id=CHAT, message_id=sent["message_id"], text="no menu"
    )
    assert "reply_markup" not in edited
    assert inline_buttons(user.last()) == []


async def test_edit_message_reply_markup(api: Api, user: FakeUser) -> None:
    first = keyboard({"text": "A", "callback_data": "a"})
    second = keyboard({"text": "B", "callback_data": "b"})
    sent = await api.send("menu", reply_markup=first)
    target = {"chat_id": CHAT, "message_id": sent["message_id"]}
    assert "not modified" in await api.error("editMessageReplyMarkup", reply_markup=first, **target)
    edited = await api.ok("editMessageReplyMarkup", reply_markup=second, **target)
    assert edited["reply_markup"] == second
    assert user.buttons() == ["B"]


async def test_deleted_messages_disappear_from_the_chat(api: Api, user: FakeUser) -> None:
    sent = await api.send("bye")
    target = {"chat_id": CHAT, "message_id": sent["message_id"]}
    assert await api.ok("deleteMessage", **target) is True
    assert user.messages() == []
    assert user.messages(include_deleted=True)[0]["deleted"] is True
    assert await api.error("deleteMessage", **target) == "Bad Request: message to delete not found"
    assert "not found" in await api.error("editMessageText", text="x", **target)


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


# --- waiting ------------------------------------------------------------------------------------


async def test_wait_reply_returns_the_first_bot_message_after_the_action(
    api: Api, user: FakeUser
) -> None:
    await api.send("before")
    user.send("/start")
    replying = asyncio.create_task(api.send("welcome"))
    reply = await user.wait_reply(timeout=5)
    assert reply["text"] == "welcome"
    await replying
    marker = user.mark()
    await api.ok("editMessageText", chat_id=CHAT, message_id=reply["message_id"], text="edited")
    assert (await user.wait_reply(marker))["text"] == "edited"
    assert [m["text"] for m in user.replies(after=0)] == ["before", "welcome", "edited"]


async def test_wait_replies_collects_several_messages(api: Api, user: FakeUser) -> None:
    user.send("/start")
    for text in ("one", "two", "three"):
        await api.send(text)
    replies = await user.wait_replies(2)
    assert [m["text"] for m in replies] == ["one", "two"]


async def test_wait_reply_times_out_with_a_report(api: Api, user: FakeUser) -> None:
    user.send("/start")
    await api.error("sendMessage", chat_id=CHAT, text="<oops>", parse_mode="HTML")
    with pytest.raises(TimeoutError) as raised:
        await user.wait_reply(timeout=0.05)
    report = str(raised.value)
    assert f"chat {CHAT}" in report
    assert 'Unsupported start tag "oops"' in report


async def test_wait_for_returns_the_value_of_the_predicate(api: Api, user: FakeUser) -> None:
    waiting = asyncio.create_task(api.fake.wait_for(lambda: api.fake.calls("sendMessage")))
    await asyncio.sleep(0)
    await api.send("hi")
    assert (await waiting)[0]["text"] == "hi"


# --- fault injection ----------------------------------------------------------------------------


async def test_fail_next_injects_errors_for_the_next_calls(api: Api, user: FakeUser) -> None:
    api.fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    api.fake.fail_next("sendmessage", 500, "Internal Server Error", times=2)
    status, body = await api.raw("sendMessage", json={"chat_id": CHAT, "text": "1"})
    assert (status, body) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        },
    )
    for _ in range(2):
        assert await api.error("sendMessage", 500, chat_id=CHAT, text="2") == (
            "Internal Server Error"
        )
    assert (await api.send("3"))["text"] == "3"
    assert [m["text"] for m in user.messages()] == ["3"]
    assert api.fake.rejected == []  # injected faults are not rejections
    assert [r.injected for r in api.fake.requests] == [True, True, True, False]


async def test_fail_next_can_target_one_chat(api: Api, fake: FakeBotAPI) -> None:
    blocked, other = fake.user(1), fake.user(2)
    fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=1)
    await api.send("to other", chat_id=other.id)
    assert await api.error("sendMessage", 403, chat_id=blocked.id, text="x") == (
        "Forbidden: bot was blocked by the user"
    )
    await api.send("now fine", chat_id=blocked.id)


async def test_fail_next_checks_its_arguments(fake: FakeBotAPI) -> None:
    with pytest.raises(ValueError, match="not a method"):
        fake.fail_next("sendPigeon", 500, "x")
    with pytest.raises(ValueError, match="429"):
        fake.fail_next("sendMessage", 400, "x", retry_after=1)


async def test_delay_holds_the_response_but_still_processes_the_call(
    api: Api, user: FakeUser
) -> None:
    api.fake.delay("sendMessage", 0.2)
    started = time.monotonic()
    await api.send("slow")
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    await api.send("fast")
    assert time.monotonic() - started < 0.2


async def test_stop_interrupts_delayed_responses() -> None:
    fake = FakeBotAPI()
    await fake.start()
    fake.delay("getMe", 30)
    async with aiohttp.ClientSession() as http:
        call = asyncio.create_task(http.post(f"{fake.base_url}/bot{fake.token}/getMe"))
        await fake.wait_for(lambda: fake.requests)
        started = time.monotonic()
        await fake.stop()
        assert time.monotonic() - started < 1
        async with await call as response:
            assert response.status == 500


# --- files, copies, chats -----------------------------------------------------------------------


async def test_send_photo_by_file_id_and_unknown_ids(api: Api, user: FakeUser) -> None:
    photo = user.send_photo()["photo"][-1]["file_id"]
    sent = await api.ok(
        "sendPhoto", chat_id=CHAT, photo=photo, caption="<b>c</b>", parse_mode="HTML"
    )
    assert sent["photo"][-1]["file_id"] == photo
    assert sent["caption"] == "c"
    assert sent["caption_entities"] == [{"type": "bold", "offset": 0, "length": 1}]
    assert await api.error("sendPhoto", chat_id=CHAT, photo="unknown") == (
        "Bad Request: wrong file identifier/HTTP URL specified"
    )
    assert await api.error("sendDocument", chat_id=CHAT) == (
        "Bad Request: there is no document in the request"
    )


async def test_captions_over_1024_characters_are_rejected(api: Api, user: FakeUser) -> None:
    photo = user.send_photo()["photo"][-1]["file_id"]
    description = await api.error("sendPhoto", chat_id=CHAT, photo=photo, caption="c" * 1025)
    assert description == "Bad Request: message caption is too long"


async def test_send_media_group_validates_its_items(api: Api, user: FakeUser) -> None:
    photo = user.send_photo()["photo"][-1]["file_id"]
    document = user.send_document()["document"]["file_id"]
    album = [{"type": "photo", "media": photo}, {"type": "photo", "media": photo, "caption": "2"}]
    messages = await api.ok("sendMediaGroup", chat_id=CHAT, media=album)
    assert len(messages) == 2
    assert messages[0]["media_group_id"] == messages[1]["media_group_id"]
    assert messages[1]["caption"] == "2"
    assert "2-10" in await api.error("sendMediaGroup", chat_id=CHAT, media=album[:1])
    mixed = [{"type": "photo", "media": photo}, {"type": "document", "media": document}]
    assert "can't be mixed" in await api.error("sendMediaGroup", chat_id=CHAT, media=mixed)


async def test_copy_and_forward_messages(api: Api, fake: FakeBotAPI) -> None:
    source, target = fake.user(1), fake.user(2)
    original = source.send_document("cv.pdf", caption="my cv")
    copied = await api.ok(
        "copyMessage", chat_id=target.id, from_chat_id=source.id, message_id=original["message_id"]
    )
    assert target.last()["message_id"] == copied["message_id"]
    assert target.last()["document"] == original["document"]
    assert target.last()["caption"] == "my cv"
    forwarded = await api.ok(
        "forwardMessage", chat_id=target.id, from_chat_id=source.id, message_id=1
    )
    assert forwarded["forward_origin"]["sender_user"]["id"] == source.id
    assert "not found" in await api.error(
        "copyMessage", chat_id=target.id, from_chat_id=source.id, message_id=42
    )


async def test_get_chat_and_chat_actions(api: Api, user: FakeUser) -> None:
    chat = await api.ok("getChat", chat_id=CHAT)
    assert (chat["id"], chat["type"], chat["first_name"]) == (CHAT, "private", "Аня")
    assert await api.error("getChat", chat_id=5) == "Bad Request: chat not found"
    assert await api.ok("sendChatAction", chat_id=CHAT, action="typing") is True
    assert "action" in await api.error("sendChatAction", chat_id=CHAT, action="dancing")


# --- Telegram's limits (opt-in) ----------------------------------------------------------------

NO_LATENCY = (0.0, 0.0)


@pytest.fixture
async def limited_api(request: pytest.FixtureRequest) -> AsyncIterator[Api]:
    """An :class:`Api` on a fake with limits (``@pytest.mark.parametrize`` them indirectly)."""
    limits = getattr(request, "param", TelegramLimits(latency=NO_LATENCY))
    async with FakeBotAPI(limits=limits) as server, aiohttp.ClientSession() as http:
        yield Api(http, server)


async def test_limits_are_off_by_default(api: Api, user: FakeUser) -> None:
    for text in ("1", "2", "3"):
        await api.send(text)
    assert api.fake.limits is None
    assert api.fake.too_many_requests == 0
    assert api.fake.delivered_count(CHAT) == 3


async def test_within_the_limits_everything_is_delivered(limited_api: Api) -> None:
    fake = limited_api.fake
    fake.add_users(range(1, 6))
    for chat_id in range(1, 6):
        await limited_api.send(f"to {chat_id}", chat_id=chat_id)
    assert fake.too_many_requests == 0
    assert fake.delivered_total == 5
    assert [fake.delivered_count(chat_id) for chat_id in range(1, 7)] == [1, 1, 1, 1, 1, 0]
    assert fake.chats[3][0]["text"] == "to 3"


async def test_a_second_message_to_one_chat_within_a_second_is_refused(limited_api: Api) -> None:
    fake = limited_api.fake
    fake.add_users([CHAT, CHAT + 1])
    await limited_api.send("first")
    status, body = await limited_api.raw("sendMessage", json={"chat_id": CHAT, "text": "second"})
    assert (status, body) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        },
    )
    assert [m["text"] for m in fake.chats[CHAT]] == ["first"]
    assert fake.delivered_count(CHAT) == 1
    assert fake.too_many_requests == 1
    assert fake.rejected[-1].error_code == 429
    await limited_api.send("another chat is fine", chat_id=CHAT + 1)


@pytest.mark.parametrize(
    "limited_api",
    [TelegramLimits(per_bot_per_second=3, retry_after=5, latency=NO_LATENCY)],
    indirect=True,
)
async def test_the_bot_wide_limit_applies_across_chats(limited_api: Api) -> None:
    fake = limited_api.fake
    fake.add_users(range(1, 5))
    for chat_id in (1, 2, 3):
        await limited_api.send("ok", chat_id=chat_id)
    status, body = await limited_api.raw("sendMessage", json={"chat_id": 4, "text": "no"})
    assert status == 429
    assert body["description"] == "Too Many Requests: retry after 5"
    assert body["parameters"] == {"retry_after": 5}
    assert fake.chats[4] == []
    assert fake.delivered_total == 3
    assert fake.too_many_requests == 1


async def test_refused_and_failed_requests_do_not_use_up_the_limit(limited_api: Api) -> None:
    fake = limited_api.fake
    fake.add_users([CHAT])
    await limited_api.error("sendMessage", 400, chat_id=CHAT, text="<b>unclosed", parse_mode="HTML")
    await limited_api.send("delivered")
    for _ in range(3):
        await limited_api.error("sendMessage", 429, chat_id=CHAT, text="again")
    assert fake.delivered_count(CHAT) == 1
    assert fake.too_many_requests == 3


async def test_every_sending_method_is_limited(limited_api: Api) -> None:
    fake = limited_api.fake
    source = fake.user(1).send("forward me")
    photo = fake.add_file(b"jpeg", kind="photo").file_id
    document = fake.add_file(b"pdf", kind="document").file_id
    media = [{"type": "photo", "media": photo}, {"type": "photo", "media": photo}]
    calls: list[tuple[str, dict[str, Any]]] = [
        ("sendMessage", {"text": "x"}),
        ("sendPhoto", {"photo": photo}),
        ("sendDocument", {"document": document}),
        ("sendMediaGroup", {"media": media}),
        ("copyMessage", {"from_chat_id": 1, "message_id": source["message_id"]}),
        ("forwardMessage", {"from_chat_id": 1, "message_id": source["message_id"]}),
    ]
    for chat_id, (method, params) in enumerate(calls, start=10):
        fake.user(chat_id)
        await limited_api.ok(method, chat_id=chat_id, **params)
        await limited_api.error(method, 429, chat_id=chat_id, **params)
    assert fake.too_many_requests == len(calls)
    # Other methods are not limited: an edit right after a send goes through.
    sent = fake.chats[10][0]
    await limited_api.ok("editMessageText", chat_id=10, message_id=sent["message_id"], text="y")


@pytest.mark.parametrize(
    "limited_api", [TelegramLimits(latency=(0.1, 0.1), per_chat_per_second=1)], indirect=True
)
async def test_sending_methods_are_answered_after_the_latency(limited_api: Api) -> None:
    limited_api.fake.add_users([CHAT])
    loop = asyncio.get_running_loop()
    started = loop.time()
    await limited_api.send("slow")
    assert loop.time() - started >= 0.09
    started = loop.time()
    await limited_api.error("sendMessage", 429, chat_id=CHAT, text="refused, slowly too")
    assert loop.time() - started >= 0.09


@pytest.mark.parametrize(
    "limited_api", [TelegramLimits(latency=NO_LATENCY, count_edits=True)], indirect=True
)
async def test_with_count_edits_an_edit_counts_like_a_message(limited_api: Api) -> None:
    fake = limited_api.fake
    fake.add_users([CHAT])
    sent = await limited_api.send("first")
    await limited_api.error(
        "editMessageText", 429, chat_id=CHAT, message_id=sent["message_id"], text="too soon"
    )
    assert fake.too_many_requests == 1 and fake.chats[CHAT][0]["text"] == "first"


async def test_a_real_bot_gets_telegram_retry_after(limited_api: Api) -> None:
    fake = limited_api.fake
    fake.add_users([CHAT])
    bot = bot_for(fake)
    try:
        await bot.send_message(CHAT, "one")
        with pytest.raises(TelegramRetryAfter) as retry:
            await bot.send_message(CHAT, "two")
        assert retry.value.retry_after == 1
    finally:
        await bot.session.close()
    assert fake.delivered_count(CHAT) == 1


def test_sliding_window_is_exact() -> None:
    per_second = _SlidingWindow(2)
    for now in (10.0, 10.4):
        assert per_second.allows(now)
        per_second.add(now)
    assert not per_second.allows(10.99)
    assert per_second.allows(11.0)  # the event at 10.0 left the window [10.0, 11.0)
    per_second.add(11.0)
    assert not per_second.allows(11.3)
    slow = _SlidingWindow(20 / 60)  # a group: one message per 3 seconds
    slow.add(0.0)
    assert not slow.allows(2.9)
    assert slow.allows(3.0)


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="positive"):
        TelegramLimits(per_chat_per_second=0)
    with pytest.raises(ValueError, match="latency"):
        TelegramLimits(latency=(0.05, 0.02))


# --- a real aiogram bot -------------------------------------------------------------------------


async def test_real_aiogram_bot_talks_to_the_fake(fake: FakeBotAPI, user: FakeUser) -> None:
    bot = bot_for(fake)
    try:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Далее", callback_data="next")]]
        )
        sent = await bot.send_message(CHAT, "<b>Привет</b>", parse_mode="HTML", reply_markup=markup)
        assert sent.text == "Привет"
        assert sent.entities[0].type == "bold"
        assert sent.reply_markup.inline_keyboard[0][0].callback_data == "next"

        edited = await bot.edit_message_text(
            "Пока", chat_id=CHAT, message_id=sent.message_id, reply_markup=markup
        )
        assert edited.text == "Пока"
        assert user.last()["edited"][0]["text"] == "Привет"

        query_id = user.click("Далее")
        assert await bot.answer_callback_query(query_id, text="ok") is True
        assert (await fake.wait_callback_answered(query_id))["text"] == "ok"

        commands = [BotCommand(command="start", description="Начать")]
        assert await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=CHAT))
        assert fake.commands_for({"type": "chat", "chat_id": CHAT}) == [
            {"command": "start", "description": "Начать"}
        ]

        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await bot.send_message(
                CHAT,
                "x",
                reply_markup=InlineKeyboardMarkup(
                    inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="я" * 40)]]
                ),
            )
        with pytest.raises(TelegramBadRequest, match="message is not modified"):
            await bot.edit_message_text(
                "Пока", chat_id=CHAT, message_id=sent.message_id, reply_markup=markup
            )

        fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
        with pytest.raises(TelegramRetryAfter) as retry:
            await bot.send_message(CHAT, "flood")
        assert retry.value.retry_after == 7
        fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
        with pytest.raises(TelegramForbiddenError):
            await bot.send_message(CHAT, "blocked")

        document = await bot.send_document(CHAT, BufferedInputFile(b"data", filename="a.csv"))
        buffer = io.BytesIO()
        await bot.download(document.document.file_id, destination=buffer)
        assert buffer.getvalue() == b"data"

        fake.delay("getMe", 5)
        with pytest.raises(TelegramNetworkError):
            await bot.get_me(request_timeout=0.1)
    finally:
        await bot.session.close()


async def test_aiogram_dispatcher_polls_the_fake_end_to_end(
    fake: FakeBotAPI, user: FakeUser
) -> None:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Ещё", callback_data="more")]]
        )
        await message.answer(f"Привет, {message.from_user.first_name}!", reply_markup=markup)

    @dp.callback_query(F.data == "more")
    async def more(query: CallbackQuery) -> None:
        await query.message.edit_text("Ещё немного")
        await query.answer("Готово")

    bot = bot_for(fake)
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, polling_timeout=1, close_bot_session=True)
    )
    try:
        user.send("/start")
        greeting = await user.wait_reply()
        assert greeting["text"] == "Привет, Аня!"
        query_id = user.click("Ещё")
        assert (await user.wait_reply())["text"] == "Ещё немного"
        assert (await fake.wait_callback_answered(query_id))["text"] == "Готово"
        assert user.buttons(greeting) == []  # the edit dropped the keyboard
        await fake.wait_for(lambda: fake.pending_updates() == 0)
        assert fake.rejected == []
    finally:
        await dp.stop_polling()
        await polling


async def test_take_updates_of_one_user_leaves_the_others_queued() -> None:
    async with FakeBotAPI() as fake:
        one, two = fake.user(1, "A", language_code="en"), fake.user(2, "B", language_code="en")
        one.send("/start")
        two.send("/start")
        one.send("hello")
        mine = fake.take_updates_of(1)
        assert [u["message"]["text"] for u in mine] == ["/start", "hello"]
        [left] = fake.take_updates()
        assert left["message"]["from"]["id"] == 2

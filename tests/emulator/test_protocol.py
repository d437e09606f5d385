"""The emulator's HTTP protocol, getUpdates, commands, waiting and injected faults."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
from aiogram.types import Update

from bot.emulator import FakeBotAPI, FakeUser
from tests.emulator.api import CHAT, Api, keyboard

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
    blocked, other = fake.user(1, started=True), fake.user(2, started=True)
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

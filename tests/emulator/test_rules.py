"""What the emulator refuses the way Telegram does: text, HTML, keyboards."""

from __future__ import annotations

from typing import Any

import pytest

from bot.emulator import ApiError, FakeUser, parse_html, utf16_len
from tests.emulator.api import CHAT, Api, keyboard

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

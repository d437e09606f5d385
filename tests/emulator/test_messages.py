"""Editing, deleting, files, copies and chats in the emulator."""

from __future__ import annotations

from bot.emulator import FakeBotAPI, FakeUser, inline_buttons
from tests.emulator.api import CHAT, Api, keyboard

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
    source, target = fake.user(1), fake.user(2, started=True)
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

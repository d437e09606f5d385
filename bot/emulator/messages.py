"""The Bot API methods that send, edit, copy and delete messages, as the emulator answers them.

A mixin of :class:`~bot.emulator.server.FakeBotAPI`: it works on the server's state (chats,
files, events). What a message may contain is checked by :mod:`bot.emulator.rules`; what
depends on the chat (does it exist, does the message, may the bot write there) is checked here.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
from typing import TYPE_CHECKING, Any, Literal

from bot.emulator import rules
from bot.emulator.errors import ApiError, bad_request
from bot.emulator.files import FileMethods
from bot.emulator.records import StoredFile, UploadedFile
from bot.emulator.rules import NOT_MODIFIED
from bot.emulator.users import FakeGroup, public

JsonDict = dict[str, Any]

# Keys that make up the content of a message (copied by copyMessage/forwardMessage).
CONTENT_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "photo",
    "document",
    "video",
    "audio",
    "sticker",
    "contact",
)
# Keys of a message whose caption can be edited.
CAPTIONED_KEYS = ("photo", "document", "video", "audio", "animation", "voice")
# deleteMessage: "A message can only be deleted if it was sent less than 48 hours ago."
DELETE_WITHIN = 48 * 3600
# Keys saved in a message's ``edited`` history before each edit.
EDITABLE_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "reply_markup",
    "parse_mode",
    "raw_text",
    "raw_caption",
    "edit_date",
)


class MessageMethods(FileMethods):
    """sendMessage, editMessage*, deleteMessage(s), sendPhoto/Document/MediaGroup, copy, forward."""

    # State of the server this mixin works on (see FakeBotAPI).
    bot_user: JsonDict
    chats: dict[int, list[JsonDict]]
    files: dict[str, StoredFile]
    reply_keyboards: dict[int, JsonDict]
    delivered_total: int
    _groups: dict[int, FakeGroup]
    _delivered: dict[int, int]
    _media_group_ids: itertools.count[int]

    if TYPE_CHECKING:

        def _chat(self, params: JsonDict, key: str = "chat_id", *, writes: bool = True) -> int: ...
        def _find_message(self, chat_id: int, message_id: int) -> JsonDict | None: ...
        def _chat_object(self, chat_id: int) -> JsonDict: ...
        def now(self) -> float: ...
        def _next_message_id(self, chat_id: int) -> int: ...
        def _event(
            self, chat_id: int, kind: Literal["sent", "edited", "deleted"], rec: JsonDict
        ) -> None: ...

    # -- internals: storing bot messages ------------------------------------------------------

    def _store_bot_message(
        self,
        chat_id: int,
        method: str,
        content: JsonDict,
        params: JsonDict,
        *,
        reply_markup: JsonDict | None,
        raw_key: str | None = None,
        raw_value: Any = None,
        extra: JsonDict | None = None,
    ) -> JsonDict:
        reply_to = self._reply_target(chat_id, params)
        record: JsonDict = {
            "message_id": self._next_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": self._chat_object(chat_id),
            "date": int(self.now()),
        }
        if reply_to is not None:
            record["reply_to_message"] = public(reply_to)
            record["reply_to_message"].pop("reply_to_message", None)
        record.update({k: v for k, v in content.items() if v is not None})
        if extra:
            record.update(extra)
        if reply_markup is not None:
            record["reply_markup"] = reply_markup
            if "keyboard" in reply_markup:
                self.reply_keyboards[chat_id] = reply_markup
            elif reply_markup.get("remove_keyboard"):
                self.reply_keyboards.pop(chat_id, None)
        record.update(
            {
                "outgoing": True,
                "method": method,
                "parse_mode": params.get("parse_mode"),
                "edited": [],
                "deleted": False,
            }
        )
        if raw_key is not None and raw_value is not None:
            record[raw_key] = raw_value
        self.chats.setdefault(chat_id, []).append(record)
        self._delivered[chat_id] = self._delivered.get(chat_id, 0) + 1
        self.delivered_total += 1
        self._event(chat_id, "sent", record)
        return record

    def _reply_target(self, chat_id: int, params: JsonDict) -> JsonDict | None:
        reply = params.get("reply_parameters")
        message_id: Any = params.get("reply_to_message_id")
        allow_missing = bool(params.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
        if message_id is None:
            return None
        target = self._find_message(chat_id, message_id) if isinstance(message_id, int) else None
        if target is None and not allow_missing:
            raise bad_request("message to be replied not found")
        return target

    # -- methods ------------------------------------------------------------------------------

    def _send_message(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        chat_id = self._chat(params)
        text, entities = rules.message_text(params)
        markup = rules.reply_markup(params.get("reply_markup"))
        record = self._store_bot_message(
            chat_id,
            "sendMessage",
            {"text": text, "entities": entities},
            params,
            reply_markup=markup,
            raw_key="raw_text",
            raw_value=params["text"],
        )
        return public(record)

    def _message_to_edit(self, params: JsonDict) -> tuple[int, JsonDict]:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat_id = self._chat(params)
        message_id = rules.required_int(
            params, "message_id", missing="message identifier is not specified"
        )
        record = self._find_message(chat_id, message_id)
        if record is None:
            raise bad_request("message to edit not found")
        if not record["outgoing"]:
            raise bad_request("message can't be edited")
        return chat_id, record

    def _apply_edit(self, chat_id: int, record: JsonDict, changes: JsonDict) -> JsonDict:
        previous = {k: copy.deepcopy(record[k]) for k in EDITABLE_KEYS if k in record}
        for key, value in changes.items():
            if value is None:
                record.pop(key, None)
            else:
                record[key] = value
        record["edit_date"] = int(self.now())
        record["edited"].append(previous)
        self._event(chat_id, "edited", record)
        return public(record)

    @staticmethod
    def _inline(markup: JsonDict | None) -> JsonDict | None:
        return markup if isinstance(markup, dict) and "inline_keyboard" in markup else None

    def _edit_message_text(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        chat_id, record = self._message_to_edit(params)
        text, entities = rules.message_text(params)
        markup = rules.reply_markup(params.get("reply_markup"), inline_only=True)
        if "text" not in record:
            raise bad_request("there is no text in the message to edit")
        if (
            record["text"] == text
            and (record.get("entities") or None) == entities
            and self._inline(record.get("reply_markup")) == markup
        ):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        changes = {
            "text": text,
            "entities": entities,
            "parse_mode": params.get("parse_mode"),
            "raw_text": params["text"],
            # Telegram drops an inline keyboard that is not repeated in the edit.
            "reply_markup": markup if markup is not None else self._non_inline(record),
        }
        return self._apply_edit(chat_id, record, changes)

    def _non_inline(self, record: JsonDict) -> JsonDict | None:
        markup = record.get("reply_markup")
        return None if self._inline(markup) is not None else markup

    def _edit_message_reply_markup(
        self, params: JsonDict, files: dict[str, UploadedFile]
    ) -> JsonDict:
        chat_id, record = self._message_to_edit(params)
        markup = rules.reply_markup(params.get("reply_markup"), inline_only=True)
        if self._inline(record.get("reply_markup")) == markup:
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        changes = {"reply_markup": markup if markup is not None else self._non_inline(record)}
        return self._apply_edit(chat_id, record, changes)

    def _edit_message_caption(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        chat_id, record = self._message_to_edit(params)
        caption, entities = rules.caption(params)
        markup = rules.reply_markup(params.get("reply_markup"), inline_only=True)
        if not any(kind in record for kind in CAPTIONED_KEYS):
            raise bad_request("there is no caption in the message to edit")
        if (
            record.get("caption") == caption
            and (record.get("caption_entities") or None) == entities
            and self._inline(record.get("reply_markup")) == markup
        ):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        changes = {
            "caption": caption,
            "caption_entities": entities,
            "parse_mode": params.get("parse_mode"),
            "raw_caption": params.get("caption"),
            "reply_markup": markup if markup is not None else self._non_inline(record),
        }
        return self._apply_edit(chat_id, record, changes)

    def _deletable(self, chat_id: int, message_id: int) -> JsonDict:
        """The message the bot may delete, by the rules of ``deleteMessage``."""
        record = self._find_message(chat_id, message_id)
        if record is None:
            raise bad_request("message to delete not found")
        if self.now() - record["date"] >= DELETE_WITHIN:
            raise bad_request("message can't be deleted")
        group = self._groups.get(chat_id)
        if group is not None and not record["outgoing"] and not group.bot_admin:
            raise bad_request("message can't be deleted")
        return record

    def _delete_message(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        chat_id = self._chat(params, writes=False)
        record = self._deletable(chat_id, params["message_id"])
        record["deleted"] = True
        self._event(chat_id, "deleted", record)
        return True

    def _delete_messages(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        chat_id = self._chat(params, writes=False)
        records = []
        for message_id in params["message_ids"]:
            with contextlib.suppress(ApiError):  # "can't be found": skipped, as documented
                records.append(self._deletable(chat_id, message_id))
        if not records:
            raise bad_request("message to delete not found")
        for record in records:
            record["deleted"] = True
            self._event(chat_id, "deleted", record)
        return True

    def _send_file(self, params: JsonDict, files: dict[str, UploadedFile], kind: str) -> JsonDict:
        chat_id = self._chat(params)
        value = params.get(kind, files.get(kind))
        if value is None or value == "":
            raise bad_request(f"there is no {kind} in the request")
        caption, caption_entities = rules.caption(params)
        markup = rules.reply_markup(params.get("reply_markup"))
        stored = self._resolve_input_file(value, files, kind=kind)
        content = {
            **self._media_content(kind, stored),
            "caption": caption,
            "caption_entities": caption_entities,
        }
        method = "sendDocument" if kind == "document" else "sendPhoto"
        record = self._store_bot_message(
            chat_id,
            method,
            content,
            params,
            reply_markup=markup,
            raw_key="raw_caption",
            raw_value=params.get("caption"),
        )
        return public(record)

    def _send_document(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        return self._send_file(params, files, "document")

    def _send_photo(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        return self._send_file(params, files, "photo")

    def _send_media_group(self, params: JsonDict, files: dict[str, UploadedFile]) -> list[JsonDict]:
        chat_id = self._chat(params)
        media = rules.media_group(params)
        prepared = []
        for item in media:
            caption, caption_entities = rules.caption(item)
            stored = self._resolve_input_file(item.get("media"), files, kind=item["type"])
            prepared.append((item, caption, caption_entities, stored))
        self._reply_target(chat_id, params)
        group_id = str(next(self._media_group_ids))
        results = []
        for item, caption, caption_entities, stored in prepared:
            content = {
                **self._media_content(item["type"], stored),
                "caption": caption,
                "caption_entities": caption_entities,
                "media_group_id": group_id,
            }
            record = self._store_bot_message(
                chat_id,
                "sendMediaGroup",
                content,
                {**params, "parse_mode": item.get("parse_mode")},
                reply_markup=None,
                raw_key="raw_caption",
                raw_value=item.get("caption"),
            )
            results.append(public(record))
        return results

    def _source_message(self, params: JsonDict, action: str) -> JsonDict:
        from_chat_id = self._chat(params, "from_chat_id", writes=False)
        message_id = rules.required_int(
            params, "message_id", missing="message identifier is not specified"
        )
        source = self._find_message(from_chat_id, message_id)
        if source is None:
            raise bad_request(f"message to {action} not found")
        return source

    def _copy_message(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        chat_id = self._chat(params)
        source = self._source_message(params, "copy")
        content = {k: copy.deepcopy(source[k]) for k in CONTENT_KEYS if k in source}
        raw_key: str | None = None
        if "caption" in params and "text" not in source:
            content["caption"], content["caption_entities"] = rules.caption(params)
            raw_key = "raw_caption"
        markup = rules.reply_markup(params.get("reply_markup"))
        record = self._store_bot_message(
            chat_id,
            "copyMessage",
            content,
            params,
            reply_markup=markup,
            raw_key=raw_key,
            raw_value=params.get("caption"),
        )
        return {"message_id": record["message_id"]}

    def _forward_message(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        chat_id = self._chat(params)
        source = self._source_message(params, "forward")
        content = {k: copy.deepcopy(source[k]) for k in CONTENT_KEYS if k in source}
        origin = {"type": "user", "sender_user": source["from"], "date": source["date"]}
        record = self._store_bot_message(
            chat_id,
            "forwardMessage",
            content,
            {},
            reply_markup=None,
            extra={"forward_origin": origin},
        )
        return public(record)

"""The Bot API methods that are not about messages: updates, webhook, commands, menu button,
callback answers, chat actions, files and chats.

A mixin of :class:`~bot.emulator.server.FakeBotAPI`, working on the server's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from typing import TYPE_CHECKING, Any

from bot.emulator import rules
from bot.emulator.errors import ApiError, bad_request
from bot.emulator.records import CallbackQueryRecord, StoredFile, UploadedFile
from bot.emulator.rules import QUERY_TOO_OLD

JsonDict = dict[str, Any]

_DEFAULT_ALLOWED_UPDATES_EXCLUDED = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)


class ServiceMethods:
    """getMe, getUpdates, webhooks, commands, menu button, answerCallbackQuery, sendChatAction,
    getFile, getChat."""

    # State of the server this mixin works on (see FakeBotAPI).
    bot_user: JsonDict
    privacy_mode: bool
    webhook_url: str
    allowed_updates: list[str] | None
    dropped_updates: list[JsonDict]
    my_commands: dict[tuple[str, str], list[JsonDict]]
    menu_buttons: dict[int | None, JsonDict]
    callback_queries: dict[str, CallbackQueryRecord]
    files: dict[str, StoredFile]
    _updates: list[JsonDict]
    _poll_generation: int
    _changed: asyncio.Event
    _stopping: asyncio.Event

    if TYPE_CHECKING:

        def _chat(self, params: JsonDict, key: str = "chat_id", *, writes: bool = True) -> int: ...
        def _signal(self) -> None: ...
        def _chat_object(self, chat_id: int) -> JsonDict: ...
        @staticmethod
        def scope_key(scope: JsonDict | None) -> str: ...

    def _true(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        return True

    def _get_me(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
        }

    def _allowed(self, update: JsonDict) -> bool:
        kind = next((key for key in update if key != "update_id"), "")
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in _DEFAULT_ALLOWED_UPDATES_EXCLUDED

    async def _get_updates(
        self, params: JsonDict, files: dict[str, UploadedFile]
    ) -> list[JsonDict]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset") or 0
        limit = params.get("limit") or 100
        timeout = params.get("timeout") or 0
        if not all(isinstance(v, int) for v in (offset, limit, timeout)):
            raise bad_request("wrong parameter in getUpdates request")
        limit = min(max(limit, 1), 100)
        if "allowed_updates" in params:
            allowed = params["allowed_updates"]
            if not isinstance(allowed, list):
                raise bad_request("can't parse allowed_updates JSON object")
            self.allowed_updates = list(allowed) or None

        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._signal()

        self._poll_generation += 1
        generation = self._poll_generation
        self._signal()  # terminate an older poll still waiting

        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout, 0)
        while True:
            if self._stopping.is_set():
                return []
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            for update in [u for u in self._updates if not self._allowed(u)]:
                self._updates.remove(update)
                self.dropped_updates.append(update)
            if self._updates:
                return copy.deepcopy(self._updates[:limit])
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def _set_webhook(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        url = params.get("url") or ""
        if url and not str(url).startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = str(url)
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _delete_webhook(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _commands_key(self, params: JsonDict) -> tuple[str, str]:
        scope = rules.command_scope(params)
        if scope is not None and scope["type"].startswith("chat"):
            self._chat(scope, writes=False)
        return self.scope_key(scope), params.get("language_code") or ""

    def _set_my_commands(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        commands = rules.bot_commands(params)
        self.my_commands[self._commands_key(params)] = commands
        return True

    def _get_my_commands(self, params: JsonDict, files: dict[str, UploadedFile]) -> list[JsonDict]:
        return copy.deepcopy(self.my_commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        self.my_commands.pop(self._commands_key(params), None)
        return True

    def _answer_callback_query(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        query = self.callback_queries.get(str(params.get("callback_query_id", "")))
        if query is None or query.answered:
            raise bad_request(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        rules.callback_answer(params)
        query.answer = dict(params)
        return True

    def _send_chat_action(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        self._chat(params)
        rules.chat_action(params)
        return True

    def _get_chat(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        chat_id = self._chat(params, writes=False)
        return {
            **self._chat_object(chat_id),
            "accent_color_id": chat_id % 7,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }

    def _set_chat_menu_button(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        chat_id = None
        if params.get("chat_id") not in (None, ""):
            chat_id = self._chat(params, writes=False)
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "commands",
            "default",
            "web_app",
        ):
            raise bad_request("unsupported menu button type")
        if button["type"] == "web_app":
            url = (button.get("web_app") or {}).get("url", "")
            if not button.get("text") or not str(url).startswith("https://"):
                raise bad_request("web app menu button needs text and an HTTPS web_app.url")
        self.menu_buttons[chat_id] = button
        return True

    def _get_chat_menu_button(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        chat_id = None
        if params.get("chat_id") not in (None, ""):
            chat_id = self._chat(params, writes=False)
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "default"}

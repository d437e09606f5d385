"""The emulator's server: an aiohttp application answering the Bot API on 127.0.0.1.

:class:`FakeBotAPI` holds the state (chats, files, updates, callback queries), the test-side API
(users, groups, the clock, waiting) and the HTTP dispatch; the methods themselves are in
:mod:`bot.emulator.messages`, :mod:`bot.emulator.service` and :mod:`bot.emulator.files`, the
injected faults in :mod:`bot.emulator.faults`, and every check of what a bot may send that does
not depend on the chat in :mod:`bot.emulator.rules`.
"""

# The waiting helpers take ``timeout=`` on purpose: it is the interface the tests are written to.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import copy
import inspect
import itertools
import json
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Literal, TypeVar

from aiohttp import web

from bot.emulator import rules
from bot.emulator.errors import ApiError, bad_request
from bot.emulator.faults import FaultMethods
from bot.emulator.limits import EDIT_METHODS, LIMITED_METHODS, FloodControl, TelegramLimits
from bot.emulator.messages import MessageMethods
from bot.emulator.protocol import (
    API_PATH_RE,
    FILE_PATH_RE,
    error_response,
    normalize,
    read_body,
)
from bot.emulator.records import (
    CallbackQueryRecord,
    ChatEvent,
    Delay,
    Fault,
    RecordedRequest,
    Rejection,
    RejectionWatch,
    StoredFile,
    UploadedFile,
)
from bot.emulator.rules import BLOCKED, CANT_INITIATE, UPLOAD_MAX_SIZE
from bot.emulator.service import ServiceMethods
from bot.emulator.users import FakeGroup, FakeUser

JsonDict = dict[str, Any]
T = TypeVar("T")

DEFAULT_TOKEN = "123456:TEST-token"


class FakeBotAPI(MessageMethods, ServiceMethods, FaultMethods):
    """A fake Telegram Bot API server (see the module docstring).

    State for tests (all plain attributes):

    * ``requests`` - every call as :class:`RecordedRequest`;
    * ``rejected`` - calls refused like Telegram would (not the injected faults);
    * ``chats`` - per chat id, every message (user's and bot's) as a dict with the Telegram
      fields plus ``outgoing`` (sent by the bot), ``method``, ``parse_mode``, ``raw_text`` /
      ``raw_caption`` (as sent, before entity parsing), ``edited`` (previous versions) and
      ``deleted``. ``text`` holds the plain text after entity parsing, like Telegram returns;
      ``reply_markup`` holds whatever markup was sent (reply keyboards included);
    * ``events`` - :class:`ChatEvent` log of sends/edits/deletions;
    * ``my_commands`` - ``{(scope_key, language_code): [BotCommand, ...]}``;
    * ``menu_buttons`` - ``{chat_id or None: MenuButton}``;
    * ``callback_queries``, ``files``, ``reply_keyboards``, ``webhook_url``, ``allowed_updates``,
      ``dropped_updates`` (updates not delivered because of ``allowed_updates``);
    * ``limits`` (:class:`TelegramLimits` or ``None``), ``too_many_requests`` (429 answers due to
      the limits) and ``delivered_total`` (messages the bot sent); see also
      :meth:`delivered_count`.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "fake_test_bot",
        bot_first_name: str = "Test Bot",
        limits: TelegramLimits | None = None,
        privacy_mode: bool = True,
    ) -> None:
        self.token = token
        self.privacy_mode = privacy_mode
        """In groups, the bot gets only commands, replies to it and mentions (see FakeGroup)."""
        self.clock_offset = 0.0
        """Seconds added to the real time (see :meth:`now` and :meth:`advance`)."""
        self.host = host
        self._requested_port = port
        bot_id = token.split(":", 1)[0]
        self.bot_user: JsonDict = {
            "id": int(bot_id) if bot_id.isdigit() else 123456,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }

        self.requests: list[RecordedRequest] = []
        self.rejected: list[Rejection] = []
        self._watch = RejectionWatch()
        self.chats: dict[int, list[JsonDict]] = {}
        self.events: list[ChatEvent] = []
        self.my_commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.menu_buttons: dict[int | None, JsonDict] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.files: dict[str, StoredFile] = {}
        self.reply_keyboards: dict[int, JsonDict] = {}
        self.webhook_url = ""
        self.allowed_updates: list[str] | None = None
        self.dropped_updates: list[JsonDict] = []
        self.limits = limits
        self.too_many_requests = 0
        """Requests answered 429 because of :attr:`limits` (injected faults are not counted)."""
        self.delivered_total = 0
        """Messages the bot successfully sent, all chats together."""

        self._users: dict[int, FakeUser] = {}
        self._groups: dict[int, FakeGroup] = {}
        self._delivered: dict[int, int] = {}
        self._flood = FloodControl(limits) if limits else None
        self._updates: list[JsonDict] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._file_numbers = itertools.count(1)
        self._media_group_ids = itertools.count(13_000_000_000_000_001)
        self._seq = 0
        self._faults: list[Fault] = []
        self._delays: list[Delay] = []
        self._poll_generation = 0
        self._changed = asyncio.Event()
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

        handlers: dict[str, Callable[[JsonDict, dict[str, UploadedFile]], Any]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "logOut": self._true,
            "close": self._true,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendMediaGroup": self._send_media_group,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "getFile": self._get_file,
            "getChat": self._get_chat,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
        }
        self._handlers = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start listening (on a free port unless one was given)."""
        if self._runner is not None:
            raise RuntimeError("FakeBotAPI is already started")
        self._stopping.clear()
        app = web.Application(client_max_size=UPLOAD_MAX_SIZE + 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop the server; pending long polls and delays end immediately."""
        self._stopping.set()
        self._signal()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotAPI is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """Base URL for ``TelegramAPIServer.from_base``."""
        return f"http://{self.host}:{self.port}"

    # -- test-side API ------------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        language_code: str | None = "ru",
        *,
        last_name: str | None = None,
        username: str | None = None,
        phone_number: str | None = None,
        started: bool = False,
    ) -> FakeUser:
        """Return the simulated user ``user_id`` (created on first call; its chat is known).

        The bot may write to the user only once the user wrote to it (Telegram's 403 «bot can't
        initiate conversation with a user»); ``started=True`` is a user who did before the test.
        """
        if user_id not in self._users:
            self._users[user_id] = FakeUser(
                self,
                user_id,
                first_name=first_name,
                language_code=language_code,
                last_name=last_name,
                username=username,
                phone_number=phone_number,
                started=started,
            )
            self.chats.setdefault(user_id, [])
        elif started:
            self._users[user_id].started = True
        return self._users[user_id]

    def add_users(
        self, ids: Iterable[int], first_name: str = "Test", *, started: bool = False
    ) -> None:
        """Create many users at once (their chats become known); existing ones are kept."""
        for user_id in ids:
            if user_id not in self._users:
                self._users[user_id] = FakeUser(
                    self, user_id, first_name=first_name, language_code="ru", started=started
                )
                self.chats.setdefault(user_id, [])

    def group(
        self,
        chat_id: int,
        title: str = "Test group",
        *,
        supergroup: bool = True,
        bot_admin: bool = False,
    ) -> FakeGroup:
        """Return the group ``chat_id`` with the bot in it (created on first call)."""
        if chat_id not in self._groups:
            self._groups[chat_id] = FakeGroup(
                self, chat_id, title, supergroup=supergroup, bot_admin=bot_admin
            )
            self.chats.setdefault(chat_id, [])
        return self._groups[chat_id]

    def now(self) -> float:
        """The emulator's clock (Unix time): message dates, the 48 hours of deleteMessage."""
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward (e.g. past the 48 hours a message can be deleted)."""
        self.clock_offset += seconds

    def delivered_count(self, chat_id: int) -> int:
        """How many messages the bot successfully sent to ``chat_id`` (deleted ones included)."""
        return self._delivered.get(chat_id, 0)

    def push_update(self, update: JsonDict) -> JsonDict:
        """Queue an arbitrary update (``update_id`` is assigned); return it."""
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._signal()
        return update

    def take_updates(self) -> list[JsonDict]:
        """Remove and return the queued updates: what Telegram would POST to a webhook."""
        updates, self._updates = list(self._updates), type(self._updates)()
        return updates

    def take_updates_of(self, user_id: int) -> list[JsonDict]:
        """Remove and return the queued updates from one user (others stay queued)."""

        def sender(update: JsonDict) -> int | None:
            for value in update.values():
                if isinstance(value, dict) and isinstance(value.get("from"), dict):
                    return int(value["from"]["id"])
            return None

        mine = [u for u in self._updates if sender(u) == user_id]
        self._updates = type(self._updates)(u for u in self._updates if sender(u) != user_id)
        return mine

    def pending_updates(self) -> int:
        """Number of updates not yet confirmed by ``getUpdates`` (offset)."""
        return len(self._updates)

    def mark(self) -> int:
        """Current position in :attr:`events`; see :meth:`wait_events`."""
        return self._seq

    def events_since(
        self,
        chat_id: int,
        after: int,
        kinds: Iterable[str] = ("sent", "edited"),
    ) -> list[ChatEvent]:
        """Events of ``kinds`` in ``chat_id`` with ``seq > after``."""
        wanted = set(kinds)
        return [
            e for e in self.events if e.seq > after and e.chat_id == chat_id and e.kind in wanted
        ]

    async def wait_events(
        self,
        chat_id: int,
        *,
        after: int,
        count: int = 1,
        kinds: Iterable[str] = ("sent", "edited"),
        timeout: float = 10,
    ) -> list[ChatEvent]:
        """Wait for ``count`` events in ``chat_id`` after marker ``after``; return the first
        ``count`` of them."""
        kinds = tuple(kinds)

        def found() -> list[ChatEvent] | None:
            events = self.events_since(chat_id, after, kinds)
            return events[:count] if len(events) >= count else None

        return await self.wait_for(
            found,
            timeout=timeout,
            what=f"{count} bot message(s) ({'/'.join(kinds)}) in chat {chat_id} after #{after}",
        )

    async def wait_callback_answered(self, query_id: str, timeout: float = 10) -> JsonDict:
        """Wait until the bot answered callback query ``query_id``; return the answer params."""

        def answer() -> JsonDict | None:
            record = self.callback_queries.get(query_id)
            return None if record is None else record.answer

        return await self.wait_for(
            answer, timeout=timeout, what=f"answerCallbackQuery for {query_id}"
        )

    async def wait_for(
        self, predicate: Callable[[], T | None], timeout: float = 10, *, what: str | None = None
    ) -> T:
        """Wait until ``predicate()`` is truthy and return its value.

        The predicate is re-evaluated whenever the fake's state changes (each request, update
        and processed call). Raises :class:`TimeoutError` with recent activity on timeout.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(self._timeout_report(what or repr(predicate), timeout))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def calls(self, method: str) -> list[JsonDict]:
        """Params of every recorded call of ``method`` (case-insensitive), rejected ones too."""
        canonical = self._canonical(method) or method
        return [r.params for r in self.requests if r.method == canonical]

    def commands_for(
        self, scope: JsonDict | None = None, language_code: str = ""
    ) -> list[JsonDict]:
        """Commands set with ``setMyCommands`` for exactly this scope and language."""
        return copy.deepcopy(self.my_commands.get((self.scope_key(scope), language_code), []))

    @staticmethod
    def scope_key(scope: JsonDict | None) -> str:
        """Canonical JSON of a ``BotCommandScope`` (``None`` means the default scope)."""
        return json.dumps(scope or {"type": "default"}, sort_keys=True, separators=(",", ":"))

    def expect_rejections(self, *descriptions: str) -> None:
        """Declare that the test provokes refusals: those whose description contains one of
        ``descriptions`` (every refusal if none is given) are not reported by
        :meth:`unexpected_rejections`. The test fixtures fail a test whose bot had a request
        refused that it did not expect: Telegram would have refused it too."""
        self._watch.expect(*descriptions)

    def unexpected_rejections(self) -> list[Rejection]:
        """Refusals (see :attr:`rejected`) that no :meth:`expect_rejections` covers."""
        return self._watch.unexpected(self.rejected)

    # -- internals: state helpers -------------------------------------------------------------

    def _signal(self) -> None:
        """Wake everything waiting in :meth:`wait_for` (and long polls)."""
        self._changed.set()
        self._changed = asyncio.Event()

    def _canonical(self, method: str) -> str | None:
        entry = self._handlers.get(method.lower())
        return None if entry is None else entry[0]

    def _require_method(self, method: str) -> str:
        canonical = self._canonical(method)
        if canonical is None:
            raise ValueError(f"{method!r} is not a method implemented by FakeBotAPI")
        return canonical

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _event(
        self, chat_id: int, kind: Literal["sent", "edited", "deleted"], rec: JsonDict
    ) -> None:
        self._seq += 1
        self.events.append(ChatEvent(self._seq, chat_id, kind, copy.deepcopy(rec)))

    def _timeout_report(self, what: str, timeout: float) -> str:
        recent = [
            f"  {r.method} {json.dumps(r.params, ensure_ascii=False)[:200]}"
            + ("" if r.ok else f" -> {r.error_code} {r.description}")
            for r in self.requests[-8:]
        ]
        rejected = [f"  {r.method}: {r.description}" for r in self.rejected[-5:]]
        lines = [
            f"timed out after {timeout}s waiting for {what}",
            f"pending updates: {self.pending_updates()}, "
            f"dropped (allowed_updates): {len(self.dropped_updates)}",
            "recent requests:",
            *(recent or ["  (none)"]),
            "rejected requests:",
            *(rejected or ["  (none)"]),
        ]
        return "\n".join(lines)

    async def _sleep(self, seconds: float) -> bool:
        """Sleep unless stopping; return False if interrupted by :meth:`stop`."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return not self._stopping.is_set()

    # -- internals: HTTP ----------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if (match := FILE_PATH_RE.fullmatch(request.path)) is not None:
            return self._handle_file(match["token"], match["path"])
        match = API_PATH_RE.fullmatch(request.path)
        if match is None:
            return error_response(ApiError(404, "Not Found"))
        raw_method = match["method"]
        method = self._canonical(raw_method) or raw_method
        raw_params: JsonDict = {}
        files: dict[str, UploadedFile] = {}
        decode_error: ApiError | None = None
        try:
            raw_params, files = await read_body(request)
            params = normalize(raw_params)
        except ApiError as exc:
            params, decode_error = raw_params, exc
        record = RecordedRequest(method=method, params=params, time=time.time(), files=files)
        self.requests.append(record)
        self._signal()
        limited = self.limits is not None and (
            method in LIMITED_METHODS or (self.limits.count_edits and method in EDIT_METHODS)
        )
        slow = limited or (self.limits is not None and self.limits.every_call)
        try:
            if match["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if method.lower() not in self._handlers:
                raise ApiError(404, "Not Found")
            if decode_error is not None:
                raise decode_error
            if not await self._apply_delay(method):
                raise ApiError(500, "Internal Server Error: the fake server is stopping")
            self._apply_fault(method, params)
            rules.check_request(method, params, files)
            arrival = self._admit(params) if limited else None
            try:
                result = self._handlers[method.lower()][1](params, files)
                if inspect.isawaitable(result):
                    result = await result
            except ApiError:
                raise
            except Exception as exc:  # a bug in the fake: answer (and record) it as a 500
                raise ApiError(500, f"Internal Server Error: {type(exc).__name__}: {exc}") from exc
            if arrival is not None:
                self._count_sent(params, arrival)
        except ApiError as exc:
            record.error_code, record.description = exc.error_code, exc.description
            record.injected = exc.injected
            # A long poll whose client is already gone (e.g. the bot was restarted) and that got
            # terminated by the new poll is not a rejection anybody saw.
            abandoned = request.transport is None or request.transport.is_closing()
            if not exc.injected and not (exc.error_code == 409 and abandoned):
                self.rejected.append(
                    Rejection(method, params, exc.error_code, exc.description, record.time)
                )
            self._signal()
            if slow:
                await self._latency()
            return error_response(exc)
        record.result = result
        self._signal()
        if slow:
            await self._latency()
        return web.json_response({"ok": True, "result": result})

    # -- internals: Telegram's limits ---------------------------------------------------------

    def _admit(self, params: JsonDict) -> float:
        """Check a sending request against :attr:`limits`; return its arrival time (see
        :meth:`FloodControl.admit`)."""
        assert self._flood is not None
        now = asyncio.get_running_loop().time()
        try:
            self._flood.admit(params.get("chat_id"), now, group=self._to_group(params))
        except ApiError:
            self.too_many_requests += 1
            raise
        return now

    def _count_sent(self, params: JsonDict, arrival: float) -> None:
        assert self._flood is not None
        self._flood.count(params.get("chat_id"), arrival, group=self._to_group(params))

    def _to_group(self, params: JsonDict) -> bool:
        chat_id = params.get("chat_id")
        return isinstance(chat_id, int) and chat_id in self._groups

    async def _latency(self) -> None:
        """Wait the random network latency of :attr:`limits` (cut short by :meth:`stop`)."""
        assert self._flood is not None
        seconds = self._flood.latency()
        if seconds > 0:
            await self._sleep(seconds)

    # -- internals: validation helpers --------------------------------------------------------

    def _chat(self, params: JsonDict, key: str = "chat_id", *, writes: bool = True) -> int:
        """Resolve a required chat id parameter to a known chat. ``writes``: the bot writes
        there, which a user must have allowed (started the bot, not blocked it)."""
        chat_id = params.get(key)
        if chat_id is None or chat_id == "":
            raise bad_request(f"{key} is empty")
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise bad_request("chat not found")
        if (user := self._users.get(chat_id)) is not None:
            if writes and user.blocked:
                raise ApiError(403, BLOCKED)
            if writes and not user.started:
                raise ApiError(403, CANT_INITIATE)
            return chat_id
        if (group := self._groups.get(chat_id)) is not None:
            if not group.bot_member:
                raise ApiError(403, f"Forbidden: bot was kicked from the {group.type} chat")
            return chat_id
        raise bad_request("chat not found")

    def _chat_object(self, chat_id: int) -> JsonDict:
        """The Telegram ``Chat`` object of a known chat."""
        if chat_id in self._groups:
            return self._groups[chat_id].as_chat()
        return self._users[chat_id].as_chat()

    def _find_message(self, chat_id: int, message_id: int) -> JsonDict | None:
        for record in self.chats.get(chat_id, []):
            if record["message_id"] == message_id and not record["deleted"]:
                return record
        return None

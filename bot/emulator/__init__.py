"""A Telegram Bot API emulator for end-to-end tests and the demo.

The emulator is a small :mod:`aiohttp.web` application listening on ``127.0.0.1``. A real bot
process (aiogram with ``AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))``)
long-polls it exactly as it would poll ``api.telegram.org``, or gets its updates by webhook; tests
push updates on behalf of simulated users and inspect what the bot sent.

Typical use::

    async with FakeBotAPI() as fake:
        ...  # start the bot against fake.base_url
        user = fake.user(42, first_name="Ivan")
        user.send("/start")
        reply = await user.wait_reply()          # first message sent/edited after send()
        query_id = user.click("Catalog")
        await fake.wait_callback_answered(query_id)

The package is split by concern:

* :mod:`~bot.emulator.rules` - what Telegram accepts from a bot (lengths in UTF-16 after entity
  parsing, keyboards, callback data, commands), with :mod:`~bot.emulator.entities` (the HTML
  ``parse_mode`` and message entities) and :mod:`~bot.emulator.errors`; stateless, and shared
  with the handler tests' recording session, so every test double applies the same rules;
* :mod:`~bot.emulator.server` - :class:`FakeBotAPI`: state, HTTP dispatch, test-side API; the
  methods in :mod:`~bot.emulator.messages`, :mod:`~bot.emulator.service` and
  :mod:`~bot.emulator.files`; :mod:`~bot.emulator.protocol` - request decoding and the answer
  envelope;
* :mod:`~bot.emulator.users` - the simulated users, their private chats and groups;
* :mod:`~bot.emulator.limits` - flood limits (30/s per bot, 1/s per chat, 429 with
  ``retry_after``), off unless ``FakeBotAPI(limits=TelegramLimits())``;
* :mod:`~bot.emulator.records` - what the emulator records for tests, among it every request
  it refused (:attr:`FakeBotAPI.rejected`): the test fixtures fail a test with a refusal it did
  not declare (:meth:`FakeBotAPI.expect_rejections`).

Fidelity notes:

* HTML ``parse_mode`` is parsed with Telegram's rules and error messages. The emulator is
  *stricter* than Telegram about ``&``: a ``&`` in text that does not start ``&lt;``, ``&gt;``,
  ``&amp;``, ``&quot;`` or a numeric reference terminated by ``;`` is rejected (Telegram would show
  it literally, which usually means the bot forgot to escape user-supplied text). Inside
  attribute values a bare ``&`` is accepted, as Telegram does.
* Text length limits (4096 for messages, 1024 for captions, 200 for callback answers) are counted
  in UTF-16 code units after entity parsing, which is never more lenient than Telegram.
* ``Markdown``/``MarkdownV2`` are accepted but not parsed: the text is stored verbatim.
* Explicit ``entities`` are checked against the text (UTF-16 offsets inside it, not splitting a
  character, the fields each type needs); Telegram would drop or clip them silently.
* A chat is known once a test created it: a user's private chat with :meth:`FakeBotAPI.user`
  (or many at once with :meth:`FakeBotAPI.add_users`), a group or supergroup with
  :meth:`FakeBotAPI.group`; sending to any other chat fails with ``Bad Request: chat not
  found``. The bot may write to a user only after the user wrote to it (or was created with
  ``started=True``): before, 403 ``Forbidden: bot can't initiate conversation with a user``. In
  groups, privacy mode decides what the bot gets (see :class:`FakeGroup`).
* A ``file_id`` is sent again only as what it is (a document's not as a photo); ``deleteMessage``
  refuses messages 48 hours old (:meth:`FakeBotAPI.advance` moves the emulator's clock) and, in
  groups, other people's messages unless the bot is an administrator.
* Telegram's flood limits are off by default. ``FakeBotAPI(limits=TelegramLimits())`` turns them
  on for the sending methods (``sendMessage``, ``sendPhoto``, ``sendDocument``,
  ``sendMediaGroup``, ``copyMessage``, ``forwardMessage``): each answer comes after a random
  latency, and a request over the per-bot, per-chat or per-group rate is answered ``429 Too Many
  Requests: retry after N`` and not delivered (see :class:`TelegramLimits`).
"""

from bot.emulator.entities import parse_html, utf16_len
from bot.emulator.errors import ApiError
from bot.emulator.limits import TelegramLimits
from bot.emulator.records import (
    CallbackQueryRecord,
    ChatEvent,
    RecordedRequest,
    Rejection,
    StoredFile,
    UploadedFile,
)
from bot.emulator.server import DEFAULT_TOKEN, FakeBotAPI
from bot.emulator.users import FakeGroup, FakeUser, inline_buttons

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "CallbackQueryRecord",
    "ChatEvent",
    "FakeBotAPI",
    "FakeGroup",
    "FakeUser",
    "RecordedRequest",
    "Rejection",
    "StoredFile",
    "TelegramLimits",
    "UploadedFile",
    "inline_buttons",
    "parse_html",
    "utf16_len",
]

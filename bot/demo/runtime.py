"""The demo's moving parts: the emulator, a fresh database with sample data, and the real bot
(the same handlers, scheduler and sender) polling the emulator, on a clock the demo moves."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import mimetypes
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, Dispatcher
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from bot.app import build_bot, build_dispatcher, prepare_database
from bot.clock import Clock
from bot.config import Settings
from bot.delivery.sender import OutboxSender
from bot.demo.render import message_view, reply_keyboard_view
from bot.demo.seed import DEMO_MARK, demo_start, seed_demo
from bot.emulator import FakeBotAPI, FakeUser, Rejection
from bot.i18n import build_i18n
from bot.services.catalog import CatalogService
from bot.services.reminders import ReminderService
from db.catalog import CatalogRepository
from db.database import Database

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]

DEMO_TOKEN = "777000:DEMO-offline-emulator"
STAFF_ID = 9001
STUDENT_ID = 2001
DELIVERY_WAIT_SECONDS = 5.0
# Job ids given in bot.app.on_startup.
FIRST_JOBS = frozenset({"plan-reminders", "events", "retention"})


@dataclass(frozen=True, slots=True)
class Persona:
    key: str
    user_id: int
    first_name: str
    language: str
    title: str
    about: str
    short: str  # the tab's label on a phone-sized screen


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "applicant-ru",
        1001,
        "Аня",
        "ru",
        "Applicant (ru)",
        "A school leaver, in Russian",
        "Аня · ru",
    ),
    Persona(
        "applicant-en",
        1002,
        "Alex",
        "en",
        "Applicant (en)",
        "A school leaver, in English",
        "Alex · en",
    ),
    Persona(
        "student",
        STUDENT_ID,
        "Пётр",
        "ru",
        "Student",
        "Registered in group МП-26-1 with a work placement ahead",
        "Student",
    ),
    Persona(
        "staff", STAFF_ID, "Ольга", "ru", "Admission staff", "In ADMIN_IDS: type /staff", "Staff"
    ),
)


class DemoSettings(Settings):
    """Settings given in code only: the demo reads neither ``.env`` nor the environment (a
    production ``ADMISSION_CHAT_ID`` or ``BOT_TOKEN`` must not leak into it)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


class DemoClock(Clock):
    """The real clock plus an offset that only grows: the demo's "fast clock"."""

    def __init__(self, tz: ZoneInfo, start: datetime | None = None) -> None:
        super().__init__(tz)
        offset = timedelta(0) if start is None else start - datetime.now(UTC)
        self._since: list[float] = [0.0]  # real instants (time.time()) each offset began
        self._offsets: list[timedelta] = [offset]

    @property
    def offset(self) -> timedelta:
        return self._offsets[-1]

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> datetime:
        if delta <= timedelta(0):
            raise ValueError("the demo clock only moves forward")
        self._since.append(time.time())
        self._offsets.append(self.offset + delta)
        return self.now()

    def at(self, real_timestamp: float) -> datetime:
        """The demo's time at a real instant (e.g. when the emulator stored a message)."""
        # The emulator stamps whole seconds: a message of the second a jump happened in is
        # taken as sent after it (it usually is: the jump caused it).
        index = bisect.bisect_right(self._since, real_timestamp + 0.999) - 1
        return datetime.fromtimestamp(real_timestamp, UTC) + self._offsets[max(index, 0)]


class Demo:
    """Start with ``async with Demo() as demo``; everything lives in a temporary folder that is
    removed when the demo stops."""

    def __init__(self, workdir: Path | None = None, *, start: datetime | None = None) -> None:
        self._own_dir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="metallurgy-demo-"))
        self._start_at = start
        self.fake = FakeBotAPI(
            DEMO_TOKEN, bot_username="metallurgy_demo_bot", bot_first_name="Металлургия · демо"
        )
        self.settings: Settings = DemoSettings(
            bot_token=DEMO_TOKEN,
            telegram_api_url="http://127.0.0.1",  # replaced once the emulator has its port
            database_path=self.workdir / "demo.sqlite3",
            admin_ids=str(STAFF_ID),
            webhook_port=0,
            _env_file=None,
        )
        self.clock = DemoClock(self.settings.tz)
        self.db: Database | None = None
        self.bot: Bot | None = None
        self.dp: Dispatcher | None = None
        self._polling: asyncio.Task[None] | None = None
        self._queries: dict[str, list[str]] = {p.key: [] for p in PERSONAS}
        self._first_jobs_done = asyncio.Event()
        self.closing = False
        """Set when stopping: the page's long polls answer at once."""
        self.changed = 0
        """Bumped by whatever the emulator does not see (the clock moving)."""

    # --- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> Demo:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        await self.fake.start()
        for persona in PERSONAS:
            self.fake.user(
                persona.user_id,
                persona.first_name,
                language_code=persona.language,
                phone_number=f"+7913555{persona.user_id % 10000:04d}",
                started=True,  # they know the bot: the staff get new applications at once
            )
        self.settings = self.settings.model_copy(update={"telegram_api_url": self.fake.base_url})
        self.db = await prepare_database(self.settings.database_path)
        catalog = await CatalogService(CatalogRepository(self.db)).current()
        real_now = datetime.now(UTC)
        self.clock = DemoClock(
            self.settings.tz,
            self._start_at or demo_start(catalog, real_now, Clock(self.settings.tz)),
        )
        await seed_demo(
            self.db, self.fake, catalog, self.clock, student_id=STUDENT_ID, staff_id=STAFF_ID
        )
        self.bot = build_bot(self.settings)
        self.dp = build_dispatcher(
            settings=self.settings, db=self.db, i18n=build_i18n(self.settings.default_locale),
            clock=self.clock,
        )  # fmt: skip
        # The emulator has no flood limits: no need to space a person's messages a second apart.
        self.sender.private_interval = 0.05
        self.dp.startup.register(self._watch_first_jobs)  # runs after the bot's on_startup
        polls = len(self.fake.calls("getUpdates"))
        self._polling = asyncio.create_task(
            self.dp.start_polling(self.bot, handle_signals=False, close_bot_session=True),
            name="demo-polling",
        )
        await self.fake.wait_for(
            lambda: len(self.fake.calls("getUpdates")) > polls or self._polling_ended(),
            timeout=30,
            what="the bot to start polling",
        )
        if self._polling_ended():
            await self._polling  # raises what stopped it
        # The scheduler plans reminders and runs the retention once at start; a demo stopped
        # in the middle of that would cancel a write, so the start waits for them.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_jobs_done.wait(), 10)

    async def _watch_first_jobs(self, dispatcher: Dispatcher) -> None:
        scheduler = dispatcher.workflow_data.get("scheduler")
        if scheduler is None:
            self._first_jobs_done.set()
            return
        waiting = {job.id for job in scheduler.get_jobs() if job.id in FIRST_JOBS}

        def done(event: JobExecutionEvent) -> None:
            waiting.discard(event.job_id)
            if not waiting:
                self._first_jobs_done.set()

        scheduler.add_listener(done, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        if not waiting:
            self._first_jobs_done.set()

    def _polling_ended(self) -> bool:
        return self._polling is not None and self._polling.done()

    async def stop(self) -> None:
        """Stop the bot (its shutdown hooks run), then the emulator; remove the folder."""
        self.closing = True
        try:
            if self._polling is not None and self.dp is not None:
                if not self._polling.done():
                    await self.dp.stop_polling()
                try:
                    await self._polling
                except Exception:
                    log.exception("the bot stopped with an error")
                self._polling = None
            elif self.bot is not None:
                await self.bot.session.close()
        finally:
            if self.db is not None:
                await self.db.close()
                self.db = None
            await self.fake.stop()
            if self._own_dir:
                shutil.rmtree(self.workdir, ignore_errors=True)

    # --- parts ---------------------------------------------------------------------------

    @property
    def sender(self) -> OutboxSender:
        assert self.dp is not None, "the demo is not started"
        sender: OutboxSender = self.dp["sender"]
        return sender

    @property
    def reminder_service(self) -> ReminderService:
        assert self.dp is not None, "the demo is not started"
        service: ReminderService = self.dp["reminder_service"]
        return service

    @staticmethod
    def persona(key: str) -> Persona:
        for persona in PERSONAS:
            if persona.key == key:
                return persona
        raise KeyError(key)

    def user(self, key: str) -> FakeUser:
        return self.fake.user(self.persona(key).user_id)

    # --- what a user does ----------------------------------------------------------------

    def send_text(self, key: str, text: str) -> None:
        if not text.strip():
            raise ValueError("empty message")
        self.user(key).send(text[:4096])

    def click(self, key: str, message_id: int, row: int, column: int) -> str:
        """Press the inline button at ``row``/``column`` of a bot message; return the query id."""
        user = self.user(key)
        record = self._record(user, message_id)
        rows = (record.get("reply_markup") or {}).get("inline_keyboard") or []
        try:
            button = rows[row][column]
        except (IndexError, TypeError):
            raise ValueError("no such button") from None
        if "callback_data" not in button:
            raise ValueError("this button has no callback data")
        query_id = user.click_data(button["callback_data"], {"message_id": message_id})
        self._queries[key].append(query_id)
        return query_id

    def press(self, key: str, text: str) -> None:
        """Press a reply keyboard button (a contact button shares the persona's phone)."""
        try:
            self.user(key).press(text)
        except AssertionError as exc:
            raise ValueError(str(exc)) from None

    def share_contact(self, key: str) -> None:
        user = self.user(key)
        user.send_contact(user.phone_number)

    def upload(self, key: str, filename: str, content_type: str | None, data: bytes) -> None:
        """Send a file from the page: an image as a photo (as Telegram compresses it), anything
        else as a document."""
        if not data:
            raise ValueError("the file is empty")
        filename = Path(filename or "file").name
        content_type = (
            content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        )
        user = self.user(key)
        if content_type in ("image/jpeg", "image/png", "image/webp", "image/gif"):
            stored = self.fake.add_file(
                data, kind="photo", file_name=filename, mime_type=content_type
            )
            # FakeUser.send_photo sends an empty photo; this one is the file from the page.
            photo = self.fake._photo_sizes(stored, 1280, 960)
            user._new_message({"photo": photo})
        else:
            user.send_document(filename, content_type, content=data)

    # --- the clock ------------------------------------------------------------------------

    async def advance(self, step: str) -> JsonDict:
        """Move the demo's time: ``hour``, ``day`` or ``next`` (to the next message due in the
        outbox, e.g. a reminder); then plan reminders and let the sender deliver."""
        before = self.clock.now()
        if step == "hour":
            self.clock.advance(timedelta(hours=1))
        elif step == "day":
            self.clock.advance(timedelta(days=1))
        elif step == "next":
            await self.reminder_service.plan_now()
            due = await self._next_due()
            if due is None:
                return {**self.clock_view(), "moved": False, "note": "Nothing is scheduled."}
            if due > self.clock.now():
                self.clock.advance(due - self.clock.now() + timedelta(seconds=1))
        else:
            raise ValueError(f"unknown step {step!r}")
        self.changed += 1
        await self.reminder_service.plan_now()
        await self._wait_delivered()
        moved = self.clock.now() - before
        return {**self.clock_view(), "moved": True, "note": f"+{_duration(moved)}"}

    async def _next_due(self) -> datetime | None:
        """When the next outbox message is due (waiting a moment for those due already)."""
        deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
        while True:
            due = await self.sender.outbox.next_due_at()
            if due is None or due > self.clock.now() or time.monotonic() > deadline:
                return due
            await asyncio.sleep(0.1)

    async def _wait_delivered(self) -> None:
        """Give the sender (it polls the outbox every second) time to send what is due now."""
        deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
        while time.monotonic() < deadline:
            due = await self.sender.outbox.next_due_at()
            if due is None or due > self.clock.now():
                return
            await asyncio.sleep(0.1)

    def clock_view(self) -> JsonDict:
        local = self.clock.now().astimezone(self.settings.tz)
        return {
            "iso": local.isoformat(timespec="seconds"),
            "text": local.strftime("%a %d %b %Y, %H:%M"),
            "zone": str(self.settings.tz),
            "offset_days": round(self.clock.offset.total_seconds() / 86400, 2),
        }

    # --- what the page shows -------------------------------------------------------------

    def version(self, key: str) -> str:
        """Changes whenever something the page of persona ``key`` shows may have changed."""
        chat = self.fake.chats.get(self.persona(key).user_id, [])
        answered = sum(1 for q in self._queries[key] if self.fake.callback_queries[q].answered)
        counts = ".".join(str(len(self.fake.chats.get(p.user_id, []))) for p in PERSONAS)
        parts = (self.fake.mark(), len(chat), answered, len(self.fake.rejected), self.changed)
        return "-".join(map(str, parts)) + "-" + counts

    async def wait_change(self, key: str, since: str, seconds: float) -> None:
        """Return once :meth:`version` differs from ``since``, the demo stops, or later."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while self.version(key) == since and not self.closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            # The emulator wakes this on each request; the clock is seen within half a second.
            with contextlib.suppress(TimeoutError):
                await self.fake.wait_for(
                    lambda: self.version(key) != since or self.closing,
                    timeout=min(remaining, 0.5),
                )

    def state(self, key: str) -> JsonDict:
        persona = self.persona(key)
        chat = self.fake.chats.get(persona.user_id, [])
        messages = []
        for record in chat:
            if record.get("deleted"):
                continue
            view = message_view(record)
            moment = self.clock.at(float(record.get("edit_date") or record.get("date") or 0))
            # The emulator stamps real time; the page shows the demo's time.
            view["time"] = moment.astimezone(self.settings.tz).strftime("%H:%M")
            view["day"] = moment.astimezone(self.settings.tz).strftime("%d %b %Y")
            messages.append(view)
        toasts = []
        for query_id in self._queries[key]:
            answer = self.fake.callback_queries[query_id].answer
            if answer and answer.get("text"):
                toasts.append(
                    {
                        "id": query_id,
                        "text": answer["text"],
                        "alert": bool(answer.get("show_alert")),
                    }
                )
        commands = self.fake.commands_for(
            {"type": "all_private_chats"}, persona.language
        ) or self.fake.commands_for({"type": "all_private_chats"})
        return {
            "version": self.version(key),
            "persona": key,
            "personas": [
                {
                    "key": p.key,
                    "title": p.title,
                    "about": p.about,
                    "short": p.short,
                    "name": p.first_name,
                    "messages": len(self.fake.chats.get(p.user_id, [])),
                }
                for p in PERSONAS
            ],
            "bot": {
                "name": self.fake.bot_user["first_name"],
                "username": self.fake.bot_user["username"],
            },
            "clock": self.clock_view(),
            "messages": messages,
            "reply_keyboard": reply_keyboard_view(self.fake.reply_keyboards.get(persona.user_id)),
            "commands": commands,
            "toasts": toasts,
            "rejected": [_rejection_view(r) for r in self.fake.rejected],
            "demo_mark": DEMO_MARK,
        }

    def file(self, file_id: str) -> tuple[bytes, str, str] | None:
        """Content, MIME type and name of a file known to the emulator."""
        stored = self.fake.files.get(file_id)
        if stored is None:
            return None
        name = stored.file_name or Path(stored.file_path).name
        mime = stored.mime_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        return stored.read(), mime, name

    @staticmethod
    def _record(user: FakeUser, message_id: int) -> JsonDict:
        for record in user.fake.chats.get(user.id, []):
            if record["message_id"] == message_id and not record.get("deleted"):
                return record
        raise ValueError(f"no message {message_id}")


def _rejection_view(rejection: Rejection) -> JsonDict:
    params = {k: v for k, v in rejection.params.items() if k in ("chat_id", "text", "caption")}
    return {
        "method": rejection.method,
        "code": rejection.error_code,
        "description": rejection.description,
        "params": {k: str(v)[:300] for k, v in params.items()},
    }


def _duration(delta: timedelta) -> str:
    hours = round(delta.total_seconds() / 3600)
    if hours >= 48:
        return f"{hours / 24:.1f} days"
    return f"{hours} h" if hours else f"{round(delta.total_seconds() / 60)} min"

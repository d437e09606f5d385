"""What several test files do the same way: the applicant's way through the form, a question,
the staff's invites, a sender without pauses, another connection's write lock, the bytes of
the database files, applications written straight into the database. Fixtures built on these
are in conftest.py."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, Dispatcher

from bot.delivery.pacing import Reservation
from bot.delivery.sender import OutboxSender
from bot.domain.catalog import Catalog, default_catalog_bytes, parse_catalog
from bot.emulator import parse_html, utf16_len
from db.applications import ApplicationData, ApplicationRepository, DocumentRef
from db.database import Database
from db.reminders import ApplicantState
from tests.client import UserClient, buttons, labels

YEAR = 2027  # the campaign the test clock (26 Nov 2026) points at
METALLURGY = "22.02.08"  # taught at the college "ntpts"
T0 = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
LINE = (
    "ntpts; мп-25-1; 22.02.08; 12.05.2027; 20.06.2027; Надеждинский завод; Иванов И. И.; 25.06.2027"
)
TZ = ZoneInfo("Asia/Krasnoyarsk")


def sender_of(dp: Dispatcher) -> OutboxSender:
    """The dispatcher's outbox sender, without the pauses between messages."""
    sender: OutboxSender = dp["sender"]
    sender.private_interval = sender.group_interval = 0
    return sender


def daytime_zone() -> str:
    """A time zone where it is day now (for a bot process's TIMEZONE): reminders and
    broadcasts wait for the morning between 22:00 and 08:00 local time, and a test or a
    benchmark that sends them should not wait with them (or depend on the hour it runs)."""
    now = datetime.now(UTC)
    # The Etc zones count the other way: Etc/GMT-7 is UTC+7. The one nearest to 13:00.
    zones = [f"Etc/GMT{-hours:+d}" for hours in range(-12, 15)]
    return min(zones, key=lambda zone: abs(now.astimezone(ZoneInfo(zone)).hour - 13))


# --- applying ---------------------------------------------------------------------------------


async def start_applying(user: UserClient) -> dict[str, Any]:
    [menu] = await user.send("/start")
    [consent] = await user.click("📝 Apply", menu)
    [name] = await user.click("✅ I agree", consent)
    return name


async def fill_form(
    user: UserClient,
    *,
    name: str = "Иванова Анна Сергеевна",
    birth: str = "05.03.2000",
    score: str = "4,5",
    specialties: tuple[str, ...] = ("22.02.08 · Metallurgy",),
) -> dict[str, Any]:
    """From «Apply» to the review screen with valid answers; returns the review screen."""
    await start_applying(user)
    await user.send(name)
    await user.send(birth)
    [_saved, base] = await user.send("8 (913) 123-45-67")
    [_score_q] = await user.click("After 9 classes", base)
    [picker] = await user.send(score)
    for label in specialties:
        [picker] = await user.click(label, picker)
    [dorm] = await user.click("✅ Done", picker)
    [channel] = await user.click("No", dorm)
    [screen] = await user.click("Only here", channel)
    for kind in ("passport", "certificate", "photo"):
        [screen] = await user.send_photo(f"{kind}-{user.user['id']}")
    while "⏭ Later" in labels(screen):
        [screen] = await user.click("⏭ Later", screen)
    assert "Please check your application" in screen["text"], screen["text"]
    return screen


async def answer_until_the_documents(user: UserClient) -> dict[str, Any]:
    """From «Apply» to the first document (the passport) with valid answers."""
    await start_applying(user)
    for text in ("Иванова Анна", "05.03.2000", "+79131234567"):
        *_, base = await user.send(text)
    await user.click("After 11 classes", base)
    [picker] = await user.send("4.5")
    [picker] = await user.click("22.02.08 · Metallurgy", picker)
    [dorm] = await user.click("✅ Done", picker)
    [channel] = await user.click("No", dorm)
    [passport] = await user.click("Only here", channel)
    return passport


async def submit(user: UserClient, review: dict[str, Any]) -> dict[str, Any]:
    [mine] = await user.click("✅ Submit", review)
    return mine


async def apply(user: UserClient, name: str, specialty: str = "22.02.08 · Metallurgy") -> None:
    await submit(user, await fill_form(user, name=name, specialties=(specialty,)))


# --- questions and the staff ------------------------------------------------------------------


async def ask(client: UserClient, text: str | None = None) -> dict[str, Any]:
    """From the menu to the question prompt; with ``text``, send it and return the reply."""
    [menu] = await client.send("/start")
    [contacts] = await client.click(labels(menu)[4], menu)  # «❓ Questions and contacts»
    [prompt] = await client.click(labels(contacts)[0], contacts)  # «✍️ Ask…»
    if text is None:
        return prompt
    [sent] = await client.send(text)
    return sent


def person(dp: Dispatcher, bot: Bot, user_id: int) -> UserClient:
    return UserClient(dp, bot, user_id=user_id, language_code="en")


async def invite(admin: UserClient, college_label: str) -> str:
    """The admin creates an invite link from the staff screen; returns the /start command."""
    [panel] = await admin.send("/staff")
    [roles] = await admin.click("👥 Staff", panel)
    [message] = await admin.click(f"➕ Invite: {college_label}", roles)
    match = re.search(r"https://t\.me/\w+\?start=(staff_[\w-]+)", message["text"])
    assert match, message["text"]
    return f"/start {match.group(1)}"


async def join(admin: UserClient, member: UserClient, college_label: str) -> None:
    command = await invite(admin, college_label)
    [welcome] = await member.send(command)
    assert "You are now a member of the admission staff" in welcome["text"]


# --- the database files -----------------------------------------------------------------------


@contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Another connection holds the database's write lock (``BEGIN IMMEDIATE``), as a backup,
    a migration or a second process may."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


def database_bytes(path: Path) -> bytes:
    """The database file, its WAL and its shared-memory index, as a forensic reader of the disk
    would see them: where deleted rows could linger."""
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    return b"".join(p.read_bytes() for p in files if p.exists())


async def relayed(dp: Dispatcher, bot: Bot, chat_id: int) -> list[dict[str, Any]]:
    """Deliver the outbox; return what the staff chat got, each with its message id."""
    session = bot.session
    before = len(session.calls)  # type: ignore[attr-defined]
    await sender_of(dp).drain(bot)
    return [
        {**c.params, "method": c.method, "message_id": c.result["message_id"]}
        for c in session.calls[before:]  # type: ignore[attr-defined]
        if c.params.get("chat_id") == chat_id and c.result is not None
    ]


async def register(user: UserClient, group: str = "МП-25-1") -> dict[str, Any]:
    """Registration before the college listed any group: typed, warned, registered anyway
    with the specialty (the staff's load attaches the student later)."""
    [menu] = await user.send("/start")
    [consent] = await user.click("👷 I am a student", menu)
    [colleges] = await user.click("✅ I agree", consent)
    [groups] = await user.click("Norilsk Technical School", colleges)
    assert "Type your group" in groups["text"]
    [warning] = await user.send(group)
    assert "has not listed a group" in warning["text"]
    [specialties] = await user.click(
        f"Register with {' '.join(group.split()).upper()} anyway", warning
    )
    [screen] = await user.click("22.02.08 · Metallurgy", specialties)
    return screen


def check_screen(message: dict[str, Any]) -> None:
    """What Telegram would refuse: bad HTML, text too long, callback data too long."""
    text = message["text"]
    plain = parse_html(text)[0] if message.get("parse_mode") == "HTML" else text
    assert 0 < utf16_len(plain) <= 4096, text  # Telegram counts UTF-16 units, not characters
    for label, data in buttons(message):
        assert label.strip(), message
        assert 1 <= len(data.encode()) <= 64, (label, data)


class FakePacer:
    """Records what it is told; hands out slots at once."""

    def __init__(self) -> None:
        self.rate = 25.0
        self.private_interval = 0.0
        self.group_interval = 0.0
        self.events: list[tuple[str, Any]] = []

    async def reserve(self, chat_id: int | None = None, *, bulk: bool = False) -> Reservation:
        self.events.append(("reserve" if not bulk else "reserve bulk", chat_id))
        return Reservation(True, 0.0, 0.0)

    async def acquire(self, chat_id: int | None = None, *, bulk: bool = False) -> float:
        self.events.append(("acquire" if not bulk else "acquire bulk", chat_id))
        return 0.0

    async def finished(self, chat_id: int) -> None:
        self.events.append(("finished", chat_id))

    async def pause(self, seconds: float) -> None:
        self.events.append(("pause", seconds))

    async def aclose(self) -> None:
        pass


def numbers(queue: dict[str, Any]) -> list[str]:
    """The application numbers a queue's buttons open, in order."""
    return [label.split(" · ")[0] for label in labels(queue) if label.startswith(("М-", "M-"))]


# --- applications straight into the database (reports, queues, closing steps) -----------------

ORE = "21.02.18"  # no college yet in the default catalogue


async def add(
    db: Database,
    user_id: int,
    score: str,
    *,
    codes: tuple[str, ...] = (METALLURGY,),
    at: datetime = T0,
    original: bool = False,
    status: str = "submitted",
    channel: str = "bot",
    name: str = "",
) -> int:
    """An application straight into the database (the form itself is tested elsewhere)."""
    repo = ApplicationRepository(db)
    data = ApplicationData(
        full_name=name or f"Тестова Анна {user_id}",
        birth_date=date(2008, 3, 5),
        phone="+79131234567",
        email=None,
        education_base=9,
        average_score=Decimal(score),
        specialties=codes,
        dormitory=False,
        channel=channel,
        minor=True,
    )
    docs = [DocumentRef("passport", f"f{user_id}", f"u{user_id}", "photo")]
    application_id, created = await repo.submit(
        user_id=user_id, campaign_year=YEAR, data=data, documents=docs, now=at, notices=[]
    )
    assert created
    if original:
        await repo.mark_received(application_id, "original_received", at, [])
    if status != "submitted":
        await repo.set_status(application_id, status, at)
    return application_id


async def open_list(user: UserClient, label: str = "🎓 Specialties") -> dict:
    [menu] = await user.send("/start")
    [screen] = await user.click(label, menu)
    return screen


async def choose(admin: UserClient, kinds: dict[str, Any], *path: str) -> list[dict[str, Any]]:
    screen = kinds
    replies: list[dict[str, Any]] = []
    for label in path:
        replies = await admin.click(label, screen)
        screen = replies[-1]
    return replies


async def start_broadcast(admin: UserClient, text: str = "Day of open doors on <b>Saturday</b>"):
    [panel] = await admin.send("/staff")
    await admin.click("📣 Broadcast", panel)
    [english] = await admin.send(text)
    [kinds] = await admin.click("No English version", english)
    return kinds


async def open_card(admin: UserClient) -> dict[str, Any]:
    [panel] = await admin.send("/staff")
    [queue] = await admin.click("submitted (1)", panel)
    [card] = await admin.click(labels(queue)[0], queue)
    return card


def applicant(**changes: object) -> ApplicantState:
    values: dict[str, object] = {
        "application_id": 1,
        "user_id": 100,
        "campaign_year": 2027,
        "status": "submitted",
        "original_received": False,
        "medical_received": False,
        "has_medical_document": False,
        "specialties": ("22.02.08",),
        "status_changed_at": datetime(2027, 7, 1, 3, tzinfo=UTC),
        "history_id": 5,
    }
    values.update(changes)
    return ApplicantState(**values)  # type: ignore[arg-type]


def recipients_of(preview: dict[str, Any]) -> int:
    match = re.search(r"Recipients: (\d+)", preview["text"])
    assert match, preview["text"]
    return int(match.group(1))


def shipped_catalog() -> Catalog:
    """The catalogue a fresh install loads (the tests' bots start with it)."""
    parsed, problems = parse_catalog(default_catalog_bytes().decode())
    assert parsed is not None, problems
    return parsed


def catalog_text_with_enrollment_order() -> str:
    """The shipped catalogue with an enrollment order published for 2027 (on 16 August, with its
    source): the shipped file has none, as no college has published one."""
    anchor = "extra_acceptance_end = 2027-11-25\n"
    text = default_catalog_bytes().decode()
    assert anchor in text
    return text.replace(
        anchor,
        anchor + "enrollment_order = 2027-08-16\n"
        'sources = { enrollment_order = "Правила приема колледжа" }\n',
        1,
    )


def catalog_with_enrollment_order() -> Catalog:
    parsed, problems = parse_catalog(catalog_text_with_enrollment_order().encode())
    assert parsed is not None and parsed.campaign(2027).enrollment_order, problems  # type: ignore[union-attr]
    return parsed


async def publish_enrollment_order(dp: Dispatcher) -> None:
    """Make the running bot's current catalogue the one with the enrollment order."""
    version, problems = await dp["catalogs"].load(
        catalog_text_with_enrollment_order().encode(), "test"
    )
    assert version is not None, problems


async def reply_to(
    client: UserClient, relay: dict[str, Any], text: str, chat: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """``client`` replies to a message the bot sent (in its private chat, or in ``chat``)."""
    replied: dict[str, Any] = {
        "message_id": relay["message_id"],
        "date": int(time.time()),
        "chat": chat or client.chat,
        "from": {"id": client.bot.id, "is_bot": True, "first_name": "Металлургия"},
    }
    if "text" in relay:
        replied["text"] = relay["text"]
    else:
        replied["caption"] = relay.get("caption", "")
    message = client._message(text=text, reply_to_message=replied)
    if chat is not None:
        message["chat"] = chat
    return await client._act({"message": message})


async def set_budget(dp: Dispatcher, code: str, places: int) -> None:
    raw = default_catalog_bytes().decode()
    line = f'code = "{code}"\n'
    assert line in raw
    version, problems = await dp["catalogs"].load(
        raw.replace(line, f"{line}budget_places = {places}\n", 1).encode(), "test"
    )
    assert version is not None and not problems


async def grant(db: Database, user_id: int, college_id: str | None) -> None:
    await db.execute(
        "INSERT INTO staff (user_id, college_id, granted_by, granted_at) VALUES (?, ?, 1, ?)",
        (user_id, college_id, T0.isoformat()),
    )

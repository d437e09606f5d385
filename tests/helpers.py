"""What several test files do the same way: the applicant's way through the form, a question,
the staff's invites, a sender without pauses, another connection's write lock, the bytes of
the database files. Fixtures built on these are in conftest.py."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher

from bot.delivery.sender import OutboxSender
from bot.emulator import parse_html
from tests.client import UserClient, buttons, labels


def sender_of(dp: Dispatcher) -> OutboxSender:
    """The dispatcher's outbox sender, without the pauses between messages."""
    sender: OutboxSender = dp["sender"]
    sender.private_interval = sender.group_interval = 0
    return sender


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
    [menu] = await user.send("/start")
    [colleges] = await user.click("👷 I am a student", menu)
    [specialties] = await user.click("Norilsk Technical School", colleges)
    [group_q] = await user.click("22.02.08 · Metallurgy", specialties)
    assert "Type your group" in group_q["text"]
    [screen] = await user.send(group)
    return screen


def check_screen(message: dict[str, Any]) -> None:
    """What Telegram would refuse: bad HTML, text too long, callback data too long."""
    text = message["text"]
    plain = parse_html(text)[0] if message.get("parse_mode") == "HTML" else text
    assert 0 < len(plain) <= 4096, text
    for label, data in buttons(message):
        assert label.strip(), message
        assert 1 <= len(data.encode()) <= 64, (label, data)

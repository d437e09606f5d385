"""Staff roles by invite, college scope, queue filters, search, and broadcasts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram import Bot, Dispatcher

from bot.services.broadcasts import BroadcastMonitor
from db.database import Database
from handlers.callbacks import BroadcastCb, CardCb, QueueCb, RolesCb
from tests.client import UserClient, buttons, labels
from tests.conftest import FixedClock
from tests.helpers import (
    apply,
    check_screen,
    choose,
    invite,
    join,
    numbers,
    person,
    recipients_of,
    sender_of,
    start_broadcast,
)

CARD_ACTIONS = ("card", "docs", "accept", "correct", "reject", "enroll", "original", "medical")


# --- roles ------------------------------------------------------------------------------


async def test_an_invite_link_grants_the_role_once(
    dp: Dispatcher, bot: Bot, admin: UserClient, db: Database
) -> None:
    member, other = person(dp, bot, 2001), person(dp, bot, 2002)
    command = await invite(admin, "Taimyr College")
    [welcome] = await member.send(command)
    assert "(Taimyr College)" in welcome["text"]
    [refused] = await other.send(command)
    assert "not valid" in refused["text"]
    [panel] = await member.send("/staff")
    assert "College: Taimyr College" in panel["text"]
    [no] = await other.send("/staff")
    assert no["text"] == "No access."
    actions = [(e.actor_id, e.action) for e in await dp["staff"].audit_log()]
    assert (1, "staff:invite") in actions and (2001, "staff:joined") in actions
    # Only a hash of the token is stored.
    token = command.split("staff_", 1)[1]
    stored = await db.fetchval("SELECT token_hash FROM staff_invites")
    assert stored and token not in stored


async def test_an_invite_expires_after_24_hours(
    dp: Dispatcher, bot: Bot, admin: UserClient, clock: FixedClock
) -> None:
    command = await invite(admin, "all colleges")
    clock.current += timedelta(hours=24, seconds=1)
    [refused] = await person(dp, bot, 2001).send(command)
    assert "not valid" in refused["text"]


async def test_a_made_up_invite_is_refused(dp: Dispatcher, bot: Bot) -> None:
    [refused] = await person(dp, bot, 2001).send("/start staff_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert "not valid" in refused["text"]


async def test_revoking_takes_access_away_at_once(
    dp: Dispatcher, bot: Bot, admin: UserClient
) -> None:
    member = person(dp, bot, 2001)
    await join(admin, member, "all colleges")
    [panel] = await member.send("/staff")
    [roles] = await admin.send("/staff")
    [listing] = await admin.click("👥 Staff", roles)
    assert "(id 2001): all colleges" in listing["text"]
    [ask] = await admin.click(labels(listing)[0], listing)
    [after] = await admin.click("🚫 Yes, revoke", ask)
    assert "2001" not in after["text"]
    # The keyboard the member still has does nothing now.
    assert await member.click("📥 All applications", panel) == []
    assert member.answers()[-1]["text"] == "No access."


async def test_a_long_staff_list_is_paged_within_telegrams_limits(
    db: Database, admin: UserClient
) -> None:
    # Thirty members with names as long as Telegram allows (64 + 64 characters).
    for n in range(30):
        await db.execute(
            "INSERT INTO staff (user_id, college_id, granted_by, granted_at, name) "
            "VALUES (?, NULL, 1, '2026-11-01T00:00:00+00:00', ?)",
            (3000 + n, f"{'Ш' * 60} {n:02d} {'Щ' * 60}"),
        )
    [panel] = await admin.send("/staff")
    [listing] = await admin.click("👥 Staff", panel)
    seen: list[str] = []
    for page in range(1, 5):
        check_screen(listing)
        assert f"page {page} of 4" in listing["text"]
        revokes = [label for label in labels(listing) if label.startswith("🚫 Revoke")]
        assert 1 <= len(revokes) <= 8
        seen += revokes
        if page < 4:
            [listing] = await admin.click("▶️", listing)
    assert "▶️" not in labels(listing)
    assert len(set(seen)) == 30  # everyone, once
    [listing] = await admin.click("◀️", listing)
    assert "page 3 of 4" in listing["text"]


async def test_only_administrators_manage_staff(
    dp: Dispatcher, bot: Bot, admin: UserClient
) -> None:
    member = person(dp, bot, 2001)
    await join(admin, member, "all colleges")
    [panel] = await member.send("/staff")
    assert "👥 Staff" not in labels(panel)
    for data in (
        RolesCb(action="list"),
        RolesCb(action="invite", college="*"),
        RolesCb(action="revoke", user=2001),
    ):
        assert await member.click_data(data.pack(), panel) == []
        assert member.answers()[-1]["text"] == "Only administrators manage staff."
    assert await dp["staff"].member(2001) is not None


# --- college scope -------------------------------------------------------------------------


@pytest.fixture
async def two_applications(dp: Dispatcher, bot: Bot) -> None:
    await apply(person(dp, bot, 3001), "Иванова Анна Сергеевна")  # 22.02.08: ntpts
    await apply(person(dp, bot, 3002), "Петров Пётр Петрович", "21.02.18 · Mineral processing")


async def test_staff_of_one_college_see_only_its_applications(
    dp: Dispatcher, bot: Bot, admin: UserClient, two_applications: None
) -> None:
    ntpts, taimyr = person(dp, bot, 2001), person(dp, bot, 2002)
    await join(admin, ntpts, "Norilsk Technical School")
    await join(admin, taimyr, "Taimyr College")
    [panel] = await admin.send("/staff")
    assert "Total: 2" in panel["text"]
    [panel] = await ntpts.send("/staff")
    assert "Total: 1" in panel["text"]
    [queue] = await ntpts.click("📥 All applications", panel)
    assert numbers(queue) == ["M-2027-0001"]
    [panel] = await taimyr.send("/staff")
    assert "Total: 0" in panel["text"]


@pytest.mark.parametrize("action", CARD_ACTIONS)
async def test_every_card_action_by_staff_of_another_college_is_refused(
    dp: Dispatcher, bot: Bot, admin: UserClient, two_applications: None, db: Database, action: str
) -> None:
    taimyr = person(dp, bot, 2002)
    await join(admin, taimyr, "Taimyr College")
    [panel] = await taimyr.send("/staff")
    before = await db.fetchval("SELECT count(*) FROM outbox")
    replies = await taimyr.click_data(CardCb(action=action, id=1).pack(), panel)
    assert replies == [] and taimyr.answers()[-1]["text"] == "No access."
    assert await db.fetchval("SELECT status FROM applications WHERE id = 1") == "submitted"
    assert await db.fetchval("SELECT original_received FROM applications WHERE id = 1") == 0
    assert await db.fetchval("SELECT count(*) FROM outbox") == before
    assert not [c for c in taimyr.session.calls if c.method in ("sendPhoto", "sendDocument")]


# --- filters and search --------------------------------------------------------------------


async def test_the_queue_filters_by_specialty_college_and_status(
    admin: UserClient, two_applications: None
) -> None:
    [panel] = await admin.send("/staff")
    [queue] = await admin.click("📥 All applications", panel)
    assert "Found: 2" in queue["text"]
    [chooser] = await admin.click("🎓 Specialty", queue)
    [queue] = await admin.click("21.02.18 Mineral processing", chooser)
    assert "Found: 1" in queue["text"] and numbers(queue) == ["M-2027-0002"]
    [chooser] = await admin.click("🏫 College", queue)
    [queue] = await admin.click("Norilsk Technical School", chooser)
    # A college resets the specialty: 21.02.18 is not taught there (yet).
    assert "Found: 1" in queue["text"] and numbers(queue) == ["M-2027-0001"]
    [chooser] = await admin.click("📌 Status", queue)
    [queue] = await admin.click("documents accepted", chooser)
    assert "Found: 0" in queue["text"] and "College: Norilsk Technical School" in queue["text"]


async def test_the_queue_pages_through_many_applications(
    dp: Dispatcher, bot: Bot, admin: UserClient
) -> None:
    for i in range(12):
        await apply(person(dp, bot, 3100 + i), "Сидоров Иван")
    [panel] = await admin.send("/staff")
    [queue] = await admin.click("📥 All applications", panel)
    assert "page 1 of 2" in queue["text"] and numbers(queue)[0] == "M-2027-0001"
    [page2] = await admin.click("▶️", queue)
    assert "page 2 of 2" in page2["text"]
    assert numbers(page2) == ["M-2027-0011", "M-2027-0012"]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("М-2027-0002", "M-2027-0002"),  # a Cyrillic М, as stored
        ("M-2027-0002", "M-2027-0002"),  # a Latin M, as shown in English
        ("2", "M-2027-0002"),
        ("2027-0001", "M-2027-0001"),
        ("петров", "M-2027-0002"),
        ("ИВАН", "M-2027-0001"),
    ],
)
async def test_search_by_number_or_surname_opens_the_card(
    admin: UserClient, two_applications: None, query: str, found: str
) -> None:
    [panel] = await admin.send("/staff")
    await admin.click("🔎 Search", panel)
    [card] = await admin.send(query)
    assert f"Application {found}" in card["text"]


async def test_search_finds_nothing_outside_the_members_college(
    dp: Dispatcher, bot: Bot, admin: UserClient, two_applications: None
) -> None:
    taimyr = person(dp, bot, 2002)
    await join(admin, taimyr, "Taimyr College")
    [panel] = await taimyr.send("/staff")
    await taimyr.click("🔎 Search", panel)
    [reply] = await taimyr.send("Иванова")
    assert "Nothing found" in reply["text"] and "Иванова" in reply["text"]


# --- broadcasts ----------------------------------------------------------------------------


@pytest.fixture
async def population(dp: Dispatcher, bot: Bot, two_applications: None) -> None:
    """Two applicants (3001: 22.02.08, 3002: 21.02.18) and a student of group МТ-24."""
    student = person(dp, bot, 4001)
    [menu] = await student.send("/start")
    [consent] = await student.click("👷 I am a student", menu)
    [colleges] = await student.click(labels(consent)[0], consent)  # «I agree»
    await student.click(labels(colleges)[0], colleges)
    [warning] = await student.send("МТ-24")  # a group the college has not listed
    [specs] = await student.click(labels(warning)[1], warning)  # «register anyway»
    await student.click(labels(specs)[0], specs)
    assert await dp["reminders"].student(4001) is not None


@pytest.mark.parametrize(
    ("path", "count"),
    [
        (("👥 All users",), 4),  # three people and the admin
        (("🎓 Applicants of a specialty", "22.02.08 Metallurgy"), 1),
        (("🏫 Applicants of a college", "Norilsk Technical School"), 1),
        (("📌 Applicants with a status", "submitted"), 2),
        (("📌 Applicants with a status", "documents accepted"), 0),
        (("👷 Students of a group", "МТ-24 · Norilsk Technical School"), 1),
    ],
)
async def test_the_preview_counts_the_segment(
    admin: UserClient, population: None, path: tuple[str, ...], count: int
) -> None:
    kinds = await start_broadcast(admin)
    replies = await choose(admin, kinds, *path)
    assert recipients_of(replies[-1]) == count
    assert ("Send to" in " ".join(labels(replies[-1]))) == (count > 0)


async def test_a_broadcast_is_delivered_with_progress_and_a_final_report(
    dp: Dispatcher, bot: Bot, admin: UserClient, population: None, db: Database
) -> None:
    await sender_of(dp).drain(bot)  # the staff posts of the applications go first
    kinds = await start_broadcast(admin)
    replies = await choose(admin, kinds, "📌 Applicants with a status", "submitted")
    preview_text = [r for r in replies if r.get("text", "").startswith("Day of open doors")]
    # Typed tags are text, not formatting: shown exactly as typed, never breaking the HTML.
    assert preview_text[0]["text"] == "Day of open doors on &lt;b&gt;Saturday&lt;/b&gt;"
    preview = replies[-1]
    [progress] = await admin.click("✅ Send to 2", preview)
    assert "is being sent" in progress["text"] and "⏳ Waiting: 2" in progress["text"]
    # The preview's buttons are gone: «✅ Send to 2» cannot be pressed again.
    [cleared] = [c.params for c in admin.session.calls if c.method == "editMessageReplyMarkup"]
    assert cleared["message_id"] == preview["message_id"]
    assert not (cleared.get("reply_markup") or {}).get("inline_keyboard")
    # Double click: the dialogue is over, nothing is sent twice.
    assert await admin.click_data(BroadcastCb(action="confirm").pack(), replies[-1]) == []
    assert await db.fetchval("SELECT count(*) FROM broadcasts") == 1
    session = admin.session
    session.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await sender_of(dp).drain(bot)
    delivered = [
        c.params["chat_id"]
        for c in session.calls
        if c.method == "sendMessage" and "open doors" in c.params.get("text", "")
        and c.result is not None and c.params["chat_id"] != 1
    ]  # fmt: skip
    assert len(delivered) == 1
    monitor: BroadcastMonitor = dp["broadcast_monitor"]
    session.clear()
    assert await monitor.tick(bot) == 1
    # One final report: a new message (the author is notified), the progress message gone.
    [report] = [c for c in session.of("sendMessage") if c["chat_id"] == 1]
    final = report["text"]
    assert "is finished" in final and "✅ Delivered: 1" in final
    assert "🚫 Blocked the bot: 1" in final
    assert not [c for c in session.calls if c.method == "editMessageText"]
    [deleted] = session.of("deleteMessage")
    assert (deleted["chat_id"], deleted["message_id"]) == (1, progress["message_id"])
    assert await monitor.tick(bot) == 0  # reported once
    assert len([c for c in session.of("sendMessage") if "is finished" in c["text"]]) == 1
    [entry] = [e for e in await dp["staff"].audit_log() if e.action == "broadcast"]
    assert entry.comment is not None and "status:submitted" in entry.comment


async def test_a_progress_message_telegram_will_not_delete_shows_the_report(
    dp: Dispatcher, bot: Bot, admin: UserClient, population: None
) -> None:
    """A message older than 48 hours cannot be deleted: the progress message then shows the
    report too, rather than «being sent…» for ever."""
    await sender_of(dp).drain(bot)
    kinds = await start_broadcast(admin)
    replies = await choose(admin, kinds, "🎓 Applicants of a specialty", "22.02.08 Metallurgy")
    [progress] = await admin.click("✅ Send to 1", replies[-1])
    await sender_of(dp).drain(bot)
    session = admin.session
    session.fail_next("deleteMessage", 400, "Bad Request: message can't be deleted for everyone")
    session.expect_rejections("message can't be deleted")
    session.clear()
    assert await dp["broadcast_monitor"].tick(bot) == 1
    [report] = session.of("sendMessage")
    [edit] = session.of("editMessageText")
    assert edit["message_id"] == progress["message_id"] and edit["text"] == report["text"]
    assert "is finished" in report["text"]


async def test_english_readers_get_the_english_version_or_a_note_that_it_is_in_russian(
    dp: Dispatcher, bot: Bot, admin: UserClient
) -> None:
    russian, english = UserClient(dp, bot, user_id=5001, language_code="ru"), person(dp, bot, 5002)
    for reader in (russian, english):
        await reader.send("/start")

    async def broadcast(text: str, text_en: str | None) -> dict[int, str]:
        await sender_of(dp).drain(bot)
        admin.session.clear()
        [panel] = await admin.send("/staff")
        await admin.click("📣 Broadcast", panel)
        [prompt] = await admin.send(text)
        assert "English version" in prompt["text"] and "optional" in prompt["text"]
        if text_en is None:
            [kinds] = await admin.click("No English version", prompt)
        else:
            [kinds] = await admin.send(text_en)
        replies = await choose(admin, kinds, "👥 All users")
        if text_en is not None:  # the preview shows both versions
            assert text_en in [r.get("text") for r in replies]
        [confirm] = [x for x in labels(replies[-1]) if x.startswith("✅ Send to")]
        await admin.click(confirm, replies[-1])
        await sender_of(dp).drain(bot)
        return {
            c.params["chat_id"]: c.params["text"]
            for c in admin.session.calls
            if c.method == "sendMessage" and c.params["chat_id"] in (5001, 5002)
        }

    got = await broadcast("День открытых дверей в субботу", "Open day on Saturday")
    assert got == {5001: "День открытых дверей в субботу", 5002: "Open day on Saturday"}
    got = await broadcast("Приём продлён до 25 ноября", None)
    assert got[5001] == "Приём продлён до 25 ноября"
    assert got[5002] == (
        "🇷🇺 A message from the admission office, in Russian only:\n\nПриём продлён до 25 ноября"
    )


async def test_a_photo_broadcast_keeps_its_caption(
    dp: Dispatcher, bot: Bot, admin: UserClient, population: None
) -> None:
    [panel] = await admin.send("/staff")
    await admin.click("📣 Broadcast", panel)
    [english] = await admin.send_photo("poster")
    [kinds] = await admin.click("No English version", english)
    replies = await choose(admin, kinds, "🎓 Applicants of a specialty", "22.02.08 Metallurgy")
    await admin.click("✅ Send to 1", replies[-1])
    await sender_of(dp).drain(bot)
    # (The staff posts' photos to chat 1 go side by side with it: only one chat's are in order.)
    photos = [c.params for c in admin.session.calls if c.method == "sendPhoto"]
    [photo] = [p for p in photos if p["chat_id"] == 3001]
    assert photo["photo"] == "photo-poster"


async def test_a_sticker_is_not_a_broadcast(admin: UserClient) -> None:
    [panel] = await admin.send("/staff")
    await admin.click("📣 Broadcast", panel)
    [hint] = await admin.send_sticker()
    assert "text, or one photo" in hint["text"]
    [english] = await admin.send("Hello")
    assert "English version" in english["text"]


async def test_staff_of_one_college_cannot_address_everyone(
    dp: Dispatcher, bot: Bot, admin: UserClient, population: None
) -> None:
    member = person(dp, bot, 2002)
    await join(admin, member, "Taimyr College")
    kinds = await start_broadcast(member)
    assert "👥 All users" not in labels(kinds)
    for segment in (
        BroadcastCb(action="pick", kind="all"),
        BroadcastCb(action="pick", kind="specialty", value="22.02.08"),
        BroadcastCb(action="pick", kind="college", value="ntpts"),
    ):
        assert await member.click_data(segment.pack(), kinds) == []
        assert member.answers()[-1]["text"] == "No access."
    replies = await choose(member, kinds, "📌 Applicants with a status", "submitted")
    assert recipients_of(replies[-1]) == 0  # none of the applicants chose a Taimyr specialty


async def test_broadcast_buttons_as_a_non_staff_user_are_refused(
    dp: Dispatcher, bot: Bot, db: Database
) -> None:
    stranger = person(dp, bot, 5001)
    [menu] = await stranger.send("/start")
    for action in ("new", "segments", "kind", "pick", "confirm", "cancel"):
        data = BroadcastCb(action=action, kind="all").pack()
        assert await stranger.click_data(data, menu) == []
        assert stranger.answers()[-1]["text"] == "No access."
    assert await db.fetchval("SELECT count(*) FROM broadcasts") == 0


def test_buttons_carry_ids_only() -> None:
    for data in (
        QueueCb(action="queue", status="needs_correction", spec="22.02.08", college="zgu-polytech"),
        BroadcastCb(action="pick", kind="specialty", value="22.02.08"),
        RolesCb(action="invite", college="zgu-polytech"),
    ):
        assert len(data.pack().encode()) <= 64
    assert buttons({}) == []


async def test_a_broadcast_confirmed_at_night_waits_for_the_morning(
    dp: Dispatcher, bot: Bot, admin: UserClient, population: None, clock: FixedClock
) -> None:
    await sender_of(dp).drain(bot)
    clock.current = clock.current.replace(hour=16)  # 23:00 in Norilsk
    kinds = await start_broadcast(admin, "Tomorrow: open doors")
    replies = await choose(admin, kinds, "🎓 Applicants of a specialty", "22.02.08 Metallurgy")
    await admin.click("✅ Send to 1", replies[-1])
    await sender_of(dp).drain(bot)
    sent = [c for c in admin.session.calls if c.params.get("chat_id") == 3001]
    assert not [c for c in sent if "open doors" in c.params.get("text", "")]
    monitor: BroadcastMonitor = dp["broadcast_monitor"]
    assert await monitor.tick(bot) == 0  # still waiting, not reported as finished
    clock.current += timedelta(hours=9)  # 08:00 in Norilsk
    await sender_of(dp).drain(bot)
    sent = [c for c in admin.session.calls if c.params.get("chat_id") == 3001]
    assert [c for c in sent if "open doors" in c.params.get("text", "")]
    assert await monitor.tick(bot) == 1


async def test_a_broadcast_caption_over_telegrams_limit_is_refused_before_anything_is_sent(
    admin: UserClient,
) -> None:
    [panel] = await admin.send("/staff")
    await admin.click("📣 Broadcast", panel)
    photo = [{"file_id": "photo-long", "file_unique_id": "u-long", "width": 90, "height": 90}]
    # A Premium user may write 4096 characters under a photo; a bot may send 1024 units.
    caption = "День открытых дверей 🎓" * 50  # 1100 characters, 1150 units
    message = admin._message(photo=photo, caption=caption)
    [refusal] = await admin._act({"message": message})
    assert "The caption is too long: 1150 characters, at most 1024" in refusal["text"]
    [english] = await admin.send("Short text")  # the dialogue goes on
    assert "English version" in english["text"]


async def test_a_broadcast_confirmation_says_queued_not_sent(
    admin: UserClient, population: None
) -> None:
    kinds = await start_broadcast(admin)
    replies = await choose(admin, kinds, "🎓 Applicants of a specialty", "22.02.08 Metallurgy")
    await admin.click("✅ Send to 1", replies[-1])
    assert admin.answers()[-1]["text"] == "Queued for delivery."

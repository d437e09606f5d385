"""The rules of events without Telegram: events in the catalogue, deep-link payloads, the
reminders' plan, offers from the waiting list, QR codes and posters that decode back."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from PIL import Image

from bot.delivery.sender import QuietHours
from bot.domain.catalog import Catalog, default_catalog_bytes, parse_catalog, unsourced_values
from bot.domain.events import facts, offer, parse_moment, plan_reminders
from bot.domain.links import PAYLOAD_MAX, Link, LinkKind, link_url, parse_payload, payload
from bot.services.catalog import CatalogService
from bot.services.posters import PosterTexts, poster, qr_png
from db.catalog import CatalogRepository
from db.database import Database
from db.events import Seated

TZ = ZoneInfo("Asia/Krasnoyarsk")
EVENT = """
[[events]]
id = "ntpts-open-day"
title = { ru = "День открытых дверей", en = "Open day" }
kind = "open_day"
college = "ntpts"
specialties = ["22.02.08", "15.02.12"]
start = 2026-12-05T11:00:00
end = 2026-12-05T13:00:00
seats = 30
audience = ["parents", "grade9"]
source = "Приказ колледжа № 1 от 01.11.2026"
"""


def catalog_with(text: str) -> tuple[Catalog | None, list[str]]:
    catalog, problems = parse_catalog(default_catalog_bytes().decode() + text)
    return catalog, [str(p) for p in problems]


def test_the_shipped_catalogue_announces_no_event() -> None:
    catalog, problems = catalog_with("")
    assert catalog is not None and catalog.events == [] and problems == []


def test_an_event_in_the_catalogue_with_a_former_code_and_its_audience_in_order() -> None:
    catalog, problems = catalog_with(EVENT)
    assert catalog is not None, problems
    [event] = catalog.events
    assert [a.value for a in event.audience] == ["grade9", "parents"]
    now = datetime(2026, 11, 26, 12, 0)
    # 15.02.12 is the former code of 15.02.17: the event is on that specialty's card too.
    assert catalog.upcoming_events(now, specialty="15.02.17") == [event]
    assert catalog.upcoming_events(now, specialty="13.02.07") == []
    assert catalog.upcoming_events(event.end) == []
    assert unsourced_values(catalog) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ('college = "ntpts"', 'college = "nowhere"'),
        ("end = 2026-12-05T13:00:00", "end = 2026-12-05T10:00:00"),
        ("start = 2026-12-05T11:00:00", "start = 2026-12-05T11:00:00+07:00"),
        ('id = "ntpts-open-day"', 'id = "Open Day"'),
        ('"22.02.08", "15.02.12"', '"22.02.08", "11.11.11"'),
        ("seats = 30", "seats = 0"),
    ],
)
def test_a_wrong_event_is_reported_with_its_place(change: str, problem: str) -> None:
    catalog, problems = catalog_with(EVENT.replace(change, problem))
    assert catalog is None
    assert [p for p in problems if p.startswith("events[0]")], problems


def test_two_events_with_one_id_are_refused() -> None:
    _catalog, problems = catalog_with(EVENT + EVENT)
    assert "events[1].id: 'ntpts-open-day' repeats events[0]" in problems


def test_an_event_without_a_source_is_listed_by_catalog_check() -> None:
    catalog, _ = catalog_with(EVENT.replace('source = "Приказ колледжа № 1 от 01.11.2026"', ""))
    assert catalog is not None
    assert [str(p) for p in unsourced_values(catalog)] == [
        "events[0]: no source: add the event's source"
    ]


async def test_loading_a_file_keeps_the_events_staff_added_in_the_bot(db: Database) -> None:
    catalogs = CatalogService(CatalogRepository(db))
    with_event = (default_catalog_bytes().decode() + EVENT).encode()
    version, problems = await catalogs.load(with_event, "with-event.toml")
    assert version is not None, problems
    version, problems = await catalogs.load(default_catalog_bytes(), "without-events.toml")
    assert version is not None, problems
    assert [e.id for e in (await catalogs.current()).events] == ["ntpts-open-day"]


# --- deep links -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        Link(LinkKind.menu),
        Link(LinkKind.menu, source=7),
        Link(LinkKind.specialty, "22.02.08"),
        Link(LinkKind.specialty, "22.02.08", 123456789),
        Link(LinkKind.college, "zgu-polytech", 3),
        Link(LinkKind.event, "e" * 24, 999999999),
        Link(LinkKind.checkin, "0123456789abcdef0123"),
    ],
)
def test_a_payload_is_short_telegram_safe_and_reads_back(link: Link) -> None:
    text = payload(link.kind, link.ref, link.source)
    assert len(text) <= PAYLOAD_MAX
    assert all(c.isascii() and (c.isalnum() or c in "_-") for c in text)
    assert parse_payload(text) == link


@pytest.mark.parametrize(
    "text",
    [None, "", "staff_abc", "sp_2202", "sp_22020", "co_Bad", "ev_x_s0", "ev_x_7", "in_short",
     "go_s1_s2", "sp_220208_s", "x" * 65, "co_ntpts?x=1"],
)  # fmt: skip
def test_anything_else_is_not_a_link(text: str | None) -> None:
    assert parse_payload(text) is None


def test_the_link_is_a_t_me_start_link() -> None:
    assert link_url("metall_bot", "sp_220208") == "https://t.me/metall_bot?start=sp_220208"


# --- reminders and offers ---------------------------------------------------------------------


def _event_catalog() -> Catalog:
    catalog, problems = catalog_with(EVENT)
    assert catalog is not None, problems
    return catalog


def test_two_reminders_planned_once_each_and_none_before_the_seat() -> None:
    event = _event_catalog().events[0]
    seated_at = datetime(2026, 11, 26, 5, tzinfo=UTC)
    seat = Seated(1, event.id, 100, seated_at)
    planned = plan_reminders(seated_at, TZ, 10, {event.id: event}, [seat])
    assert [p.due_at for p in planned] == [
        datetime(2026, 12, 4, 10, tzinfo=TZ),
        datetime(2026, 12, 5, 9, tzinfo=TZ),
    ]
    assert {p.kind for p in planned} == {"event_reminder"}
    late = Seated(2, event.id, 101, datetime(2026, 12, 4, 20, tzinfo=TZ))
    [only] = plan_reminders(late.seated_at, TZ, 10, {event.id: event}, [late])
    assert only.payload["which"] == "soon"


def test_after_downtime_only_the_latest_due_reminder_goes_and_none_after_the_start() -> None:
    event = _event_catalog().events[0]
    seat = Seated(1, event.id, 100, datetime(2026, 11, 26, 5, tzinfo=UTC))
    events = {event.id: event}
    [latest] = plan_reminders(datetime(2026, 12, 5, 10, tzinfo=TZ), TZ, 10, events, [seat])
    assert latest.payload["which"] == "soon"
    assert plan_reminders(datetime(2026, 12, 5, 11, tzinfo=TZ), TZ, 10, events, [seat]) == []


def test_a_new_start_time_plans_new_reminders() -> None:
    event = _event_catalog().events[0]
    seat = Seated(1, event.id, 100, datetime(2026, 11, 26, 5, tzinfo=UTC))
    moved = event.model_copy(update={"start": event.start + timedelta(hours=1),
                                     "end": event.end + timedelta(hours=1)})  # fmt: skip
    before = {p.key for p in plan_reminders(seat.seated_at, TZ, 10, {event.id: event}, [seat])}
    after = {p.key for p in plan_reminders(seat.seated_at, TZ, 10, {event.id: moved}, [seat])}
    assert before.isdisjoint(after)
    assert facts(event, TZ).fingerprint != facts(moved, TZ).fingerprint
    reseated = event.model_copy(update={"seats": 3})
    assert facts(event, TZ).fingerprint == facts(reseated, TZ).fingerprint  # not news


def test_an_offer_lasts_12_hours_from_the_end_of_the_quiet_hours_and_never_past_the_start() -> None:
    quiet = QuietHours(TZ)
    start = datetime(2026, 12, 5, 11, tzinfo=TZ)
    day = datetime(2026, 12, 1, 12, tzinfo=TZ)
    made = offer(day, start, quiet.resume_at(day))
    assert made is not None and (made.starts, made.until) == (day, day + timedelta(hours=12))
    night = datetime(2026, 12, 1, 23, tzinfo=TZ)
    made = offer(night, start, quiet.resume_at(night))
    morning = datetime(2026, 12, 2, 8, tzinfo=TZ)
    assert made is not None
    assert (made.starts, made.until) == (morning, morning + timedelta(hours=12))
    late = datetime(2026, 12, 5, 9, tzinfo=TZ)
    made = offer(late, start, quiet.resume_at(late))
    assert made is not None and made.until == start
    assert offer(start, start, None) is None


def test_staff_type_local_times_as_they_write_them() -> None:
    assert parse_moment("14.03.2027 11:00") == datetime(2027, 3, 14, 11, 0)
    assert parse_moment(" 14.03.2027,  9.05 ") == datetime(2027, 3, 14, 9, 5)
    assert parse_moment("2027-03-14 11:00") == datetime(2027, 3, 14, 11, 0)
    assert parse_moment("13:30", datetime(2027, 3, 14).date()) == datetime(2027, 3, 14, 13, 30)
    for wrong in ("завтра", "31.02.2027 10:00", "14.03.2027 25:00", "13:30"):
        with pytest.raises(ValueError):
            parse_moment(wrong)


# --- QR codes and posters ---------------------------------------------------------------------


def decoded(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_an_entry_code_decodes_back_to_its_link() -> None:
    url = link_url("metall_bot", payload(LinkKind.checkin, "0123456789abcdef0123"))
    assert decoded(qr_png(url)) == [url]


@pytest.mark.parametrize("label", ["", "ярмарка вакансий «Норникель» 2027, павильон 3"])
def test_a_poster_is_an_a4_page_whose_qr_code_decodes_back_to_the_link(label: str) -> None:
    url = link_url("metall_bot", payload(LinkKind.event, "e" * 24, 999999999))
    texts = PosterTexts(
        "Профпроба «Сварщик ручной и частично механизированной сварки (наплавки)»\nсб, 14 марта",
        "Наведите камеру телефона на код — откроется бот кластера «Металлургия»: запись в два "
        "нажатия.",
        url.removeprefix("https://"),
        label,
    )
    png = poster(url, texts, "png")
    image = Image.open(io.BytesIO(png))
    assert image.size[0] / image.size[1] == pytest.approx(210 / 297, rel=0.01)
    assert decoded(png) == [url]
    pdf = poster(url, texts, "pdf")
    assert pdf.startswith(b"%PDF-")
    assert b"/MediaBox [ 0 0 595.44 841.68 ]" in pdf  # A4 in points

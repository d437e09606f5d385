"""Demo data: a few sample applicants, a registered student with a work placement, sample files.

Everything here is fictional and marked as such: every name starts with «Демо», every file
says DEMO. It is written through the repositories, like the bot writes its own data.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from bot.clock import Clock
from bot.domain.applications import consent_version
from bot.domain.catalog import Catalog
from bot.domain.groups import group_key
from bot.domain.students import student_consent_version
from bot.emulator import FakeBotAPI
from db.applications import ApplicationData, ApplicationRepository, ConsentRepository, DocumentRef
from db.database import Database
from db.reminders import PracticumPeriod, ReminderRepository, Student
from db.users import UserRepository

DEMO_MARK = "Демо"
STUDENT_GROUP = "МП-26-1"


@dataclass(frozen=True, slots=True)
class SampleApplicant:
    user_id: int
    full_name: str
    score: str
    specialties: tuple[str, ...]
    education_base: int
    status: str = "submitted"
    original: bool = False
    dormitory: bool = False
    comment: str | None = None


SAMPLE_APPLICANTS = (
    SampleApplicant(5001, "Демо Иванова Анна Сергеевна", "4.85", ("22.02.08", "21.02.18"), 11),
    SampleApplicant(
        5002, "Демо Петров Илья Андреевич", "4.40", ("22.02.08",), 9, "accepted", original=True
    ),
    SampleApplicant(
        5003, "Демо Сидорова Мария Олеговна", "4.12", ("13.02.07", "22.02.08"), 9, dormitory=True
    ),
    SampleApplicant(
        5004,
        "Демо Кузнецов Артём Игоревич",
        "3.95",
        ("15.01.05",),
        9,
        "needs_correction",
        comment="Демо: фото паспорта размыто",
    ),
    SampleApplicant(
        5005, "Демо Васильева Полина Дмитриевна", "4.67", ("15.02.14", "13.02.13"), 11, "accepted"
    ),
    SampleApplicant(5006, "Демо Смирнов Никита Павлович", "3.70", ("15.02.19",), 9, dormitory=True),
)


def demo_png(
    width: int = 480, height: int = 320, accent: tuple[int, int, int] = (42, 120, 190)
) -> bytes:
    """A small RGB PNG that looks like a scanned form: a coloured header and grey lines."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter type 0 for each scanline
        header = y < height // 6
        line = not header and (y // 12) % 2 == 0 and y % 12 < 4 and y < height - 20
        for x in range(width):
            if header:
                row += bytes(accent)
            elif line and 24 < x < width - 24 - (y * 7) % 120:
                row += b"\xb4\xb4\xb4"
            else:
                row += b"\xf7\xf5\xf0"
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def demo_pdf(title: str = "DEMO document") -> bytes:
    """A one-page PDF saying it is a demo document (ASCII text only)."""
    safe = title.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 24 Tf 72 720 Td (" + safe + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _documents(fake: FakeBotAPI, number: int) -> list[DocumentRef]:
    scan = demo_png(accent=(42 + number * 20 % 120, 120, 190))
    pdf = demo_pdf(f"DEMO certificate #{number}")
    passport = fake.add_file(scan, kind="photo", file_name="passport.png", mime_type="image/png")
    certificate = fake.add_file(
        pdf, kind="document", file_name="certificate.pdf", mime_type="application/pdf"
    )
    photo = fake.add_file(scan, kind="photo", file_name="photo.png", mime_type="image/png")
    return [
        DocumentRef("passport", passport.file_id, passport.file_unique_id, "photo", len(scan)),
        DocumentRef(
            "certificate",
            certificate.file_id,
            certificate.file_unique_id,
            "application/pdf",
            len(pdf),
        ),
        DocumentRef("photo", photo.file_id, photo.file_unique_id, "photo", len(scan)),
    ]


async def seed_demo(
    db: Database,
    fake: FakeBotAPI,
    catalog: Catalog,
    clock: Clock,
    *,
    student_id: int,
    staff_id: int,
) -> None:
    """Sample applicants of the current campaign, and ``student_id`` registered in a group
    whose work placement starts in eight days (so its reminders come with the fast clock)."""
    now = clock.now()
    year = catalog.recent_campaign(clock.today()).year
    applications = ApplicationRepository(db)
    consents = ConsentRepository(db)
    users = UserRepository(db)
    for index, sample in enumerate(SAMPLE_APPLICANTS):
        # The current code of each (a sample may name one since replaced by a new standard).
        found = (catalog.specialty(code) for code in sample.specialties)
        codes = tuple(dict.fromkeys(s.code for s in found if s is not None))
        if not codes:
            continue
        # They applied through the bot, so reminders to them are delivered, not refused.
        fake.user(sample.user_id, sample.full_name.split()[2], language_code="ru", started=True)
        submitted = now - timedelta(days=len(SAMPLE_APPLICANTS) - index, hours=index)
        await users.touch(sample.user_id, "ru", submitted)
        await consents.give(sample.user_id, consent_version(catalog), submitted)
        data = ApplicationData(
            full_name=sample.full_name,
            birth_date=date(2009 if sample.education_base == 9 else 2007, 1 + index, 10 + index),
            phone=f"+7913555{sample.user_id % 10000:04d}",
            email=None,
            education_base=sample.education_base,
            average_score=Decimal(sample.score),
            specialties=codes,
            dormitory=sample.dormitory,
            channel="bot",
            minor=False,
        )
        application_id, _created = await applications.submit(
            user_id=sample.user_id,
            campaign_year=year,
            data=data,
            documents=_documents(fake, index + 1),
            now=submitted,
            notices=[],
        )
        if sample.status != "submitted":
            await applications.set_status(
                application_id,
                sample.status,
                submitted + timedelta(hours=20),
                actor_id=staff_id,
                comment=sample.comment,
            )
        if sample.original:
            await applications.mark_received(application_id, "original_received", now, [])

    specialty = catalog.specialty("22.02.08") or catalog.specialties[0]
    college_id = specialty.colleges[0] if specialty.colleges else catalog.colleges[0].id
    reminders = ReminderRepository(db)
    await users.touch(student_id, "ru", now)
    await users.touch(staff_id, "ru", now)
    await reminders.register_student(
        Student(
            student_id, college_id, specialty.code, STUDENT_GROUP, student_consent_version(catalog)
        ),
        now,
    )
    start = clock.today() + timedelta(days=8)
    end = start + timedelta(days=27)
    await reminders.save_periods(
        [
            PracticumPeriod(
                id=0,
                college_id=college_id,
                group_name=STUDENT_GROUP,
                specialty_code=specialty.code,
                start=start,
                end=end,
                place="Демо: металлургический цех, Норильск",
                supervisor="Демо Орлов Виктор Петрович",
                report_deadline=end + timedelta(days=5),
                address="Демо: проходная № 3, ул. Октябрьская, 1",
                meet_time="08:00",
                contact="Демо Орлов Виктор Петрович, мастер участка",
                bring="паспорт, спецодежду, медицинскую книжку",
            )
        ],
        added_by=staff_id,
        now=now,
        key=group_key,
    )


def demo_start(catalog: Catalog, now: datetime, clock: Clock) -> datetime:
    """Where the demo's clock starts: 10:30 in Norilsk, ten days before the end of acceptance
    of the campaign that is next (or now, if that moment has passed), so deadlines are near."""
    campaign = catalog.recent_campaign(now.astimezone(clock.tz).date())
    day = campaign.acceptance_end - timedelta(days=10)
    start = datetime(day.year, day.month, day.day, 10, 30, tzinfo=clock.tz)
    return max(start, now)

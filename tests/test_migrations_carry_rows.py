"""Migrations carry the rows a running bot already has, not only the schema.

A database is created at version 1 with rows, then migrated one version at a time to the
latest; at each version, rows go into the tables that version created. After every step
every row written so far is still there with the same values (a column a later migration adds
takes its default), and at the end the repositories read the old rows as the bot would.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from db.applications import ApplicationRepository
from db.database import Database, migration_scripts
from db.outbox import OutboxRepository
from db.questions import QuestionRepository
from db.reminders import ReminderRepository
from db.users import UserRepository

T = "2026-11-20T05:00:00+00:00"

# Rows written at each version, into the tables that version created. Each a table name and
# its rows as column → value; values picked so that a swapped or reset column shows.
SEEDS: dict[int, list[tuple[str, dict[str, Any]]]] = {
    1: [
        ("users", {"id": 1001, "language": "en", "language_chosen": 1, "first_seen": T,
                   "last_seen": "2026-11-21T05:00:00+00:00", "unreachable_at": None}),
        ("users", {"id": 1002, "language": "ru", "language_chosen": 0, "first_seen": T,
                   "last_seen": T, "unreachable_at": "2026-11-22T05:00:00+00:00"}),
        ("fsm", {"key": "42:1001:1001", "user_id": 1001, "state": "Apply:phone",
                 "data": json.dumps({"form": {"full_name": "Иванова Анна"}}), "updated_at": T}),
        ("catalog_versions", {"id": 1, "loaded_at": T, "source": "default", "sha256": "ab" * 32,
                              "document": "{}"}),
    ],
    2: [
        ("consents", {"id": 1, "user_id": 1001, "version": "2026-11-26", "given_at": T,
                      "minor": 1, "withdrawn_at": None}),
        ("applications", {"id": 1, "number": "М-2027-0001", "user_id": 1001,
                          "campaign_year": 2027, "status": "needs_correction",
                          "full_name": "Иванова Анна Сергеевна", "birth_date": "2009-03-05",
                          "phone": "+79131234567", "email": "anna@example.org",
                          "education_base": 9, "average_score": "4.62", "score_rank": 462,
                          "dormitory": 1, "channel": "gosuslugi", "minor": 1,
                          "original_received": 1, "medical_received": 0, "submitted_at": T,
                          "updated_at": "2026-11-21T05:00:00+00:00"}),
        ("application_choices", {"application_id": 1, "priority": 1,
                                 "specialty_code": "13.02.07"}),
        ("application_choices", {"application_id": 1, "priority": 2,
                                 "specialty_code": "22.02.08"}),
        ("documents", {"id": 1, "application_id": 1, "kind": "passport", "file_id": "F1",
                       "file_unique_id": "U1", "content_type": "photo", "file_size": 200_000,
                       "added_at": T}),
        ("documents", {"id": 2, "application_id": 1, "kind": "medical", "file_id": "F2",
                       "file_unique_id": "U2", "content_type": "application/pdf",
                       "file_size": None, "added_at": T}),
        ("status_history", {"id": 1, "application_id": 1, "status": "submitted",
                            "changed_at": T, "actor_id": None, "comment": None}),
        ("status_history", {"id": 2, "application_id": 1, "status": "needs_correction",
                            "changed_at": "2026-11-21T05:00:00+00:00", "actor_id": 1,
                            "comment": "Фото <размыто>"}),
        ("outbox", {"id": 1, "dedup_key": "status:1:2", "chat_id": 1001, "kind": "status",
                    "payload": json.dumps({"application_id": 1, "history_id": 2, "part": 1}),
                    "due_at": T, "status": "pending", "attempts": 3, "last_error": "Bad Gateway",
                    "created_at": T, "sent_at": None}),
        ("counters", {"name": "application_number:2027", "value": 1}),
    ],
    3: [
        ("students", {"user_id": 1002, "college_id": "ntpts", "specialty_code": "22.02.08",
                      "group_name": "МП-25-1", "registered_at": T}),
        ("practicum_periods", {"id": 1, "college_id": "ntpts", "group_name": "МП-25-1",
                               "specialty_code": "22.02.08", "start_date": "2027-05-12",
                               "end_date": "2027-06-20", "place": "Завод",
                               "supervisor": "Иванов И. И.", "report_deadline": "2027-06-25",
                               "added_at": T, "added_by": 1}),
        ("subscriptions", {"user_id": 1002, "specialty_code": "21.02.18", "created_at": T}),
        ("reminder_optouts", {"user_id": 1001, "kind": "opening"}),
    ],
    4: [
        ("staff", {"user_id": 2001, "college_id": "ntpts", "granted_by": 1, "granted_at": T}),
        ("audit_log", {"id": 1, "at": T, "actor_id": 1, "action": "status:needs_correction",
                       "application_no": "М-2027-0001", "comment": "Фото <размыто>"}),
    ],
    5: [
        ("staff_invites", {"token_hash": "cd" * 32, "college_id": None, "created_by": 1,
                           "created_at": T, "expires_at": "2026-11-21T05:00:00+00:00",
                           "used_by": None, "used_at": None}),
        ("broadcasts", {"id": 1, "author_id": 1, "created_at": T, "text": "<b>Дни</b>",
                        "photo_file_id": None,
                        "segment": json.dumps({"kind": "status", "value": "submitted"}),
                        "recipients": 2, "progress_chat_id": 1, "progress_message_id": 77,
                        "reported": None, "finished_at": None}),
    ],
    6: [
        ("questions", {"id": 17, "user_id": 1002, "asked_at": T, "content_type": "text",
                       "text": "Нужна ли медсправка?", "file_id": None,
                       "answered_at": "2026-11-21T05:00:00+00:00", "answered_by": 1}),
        ("question_answers", {"id": 1, "question_id": 17,
                              "answered_at": "2026-11-21T05:00:00+00:00", "answered_by": 1,
                              "text": "Да, 086/у."}),
    ],
    7: [
        ("meta", {"key": "webhook_secret", "value": "s3cr3t"}),
        ("processed_updates", {"update_id": 123456, "processed_at": T}),
    ],
}  # fmt: skip


async def insert(db: Database, table: str, row: dict[str, Any]) -> None:
    columns = ", ".join(row)
    marks = ", ".join("?" * len(row))
    await db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(row.values()))


async def rows_of(db: Database, table: str, columns: list[str]) -> list[dict[str, Any]]:
    found = await db.fetchall(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid")
    return [dict(zip(columns, tuple(r), strict=True)) for r in found]


def test_every_migration_has_rows_to_carry() -> None:
    # A new migration that creates a table should seed it here too (the lead renumbers).
    assert set(SEEDS) <= {version for version, _, _ in migration_scripts()}


async def test_rows_survive_every_migration_step_by_step(tmp_path: Path) -> None:
    latest = len(migration_scripts())
    written: dict[str, list[dict[str, Any]]] = {}
    async with Database(tmp_path / "old.sqlite3") as db:
        for version in range(1, latest + 1):
            assert await db.migrate(target=version) == [version]
            # Everything written before this step is still there, value for value.
            for table, rows in written.items():
                assert await rows_of(db, table, list(rows[0])) == rows, (version, table)
            for table, row in SEEDS.get(version, []):
                await insert(db, table, row)
                written.setdefault(table, []).append(row)
        assert await db.user_version() == latest
        assert await db.fetchval("PRAGMA foreign_key_check") is None
        # A column added by a later migration takes its default on old rows.
        assert await db.fetchval("SELECT name FROM staff WHERE user_id = 2001") is None


async def test_the_bot_reads_carried_rows_as_its_own(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    async with Database(path) as db:
        for version in range(1, len(migration_scripts()) + 1):
            await db.migrate(target=version)
            for table, row in SEEDS.get(version, []):
                await insert(db, table, row)
    async with Database(path) as db:
        assert await db.migrate() == []
        application = await ApplicationRepository(db).get(1)
        assert application is not None
        assert application.data.average_score == Decimal("4.62")
        assert application.data.specialties == ("13.02.07", "22.02.08")
        assert application.data.birth_date == date(2009, 3, 5)
        assert (application.original_received, application.medical_received) == (True, False)
        assert [d.kind for d in application.documents] == ["passport", "medical"]
        assert [(h.status, h.actor_id, h.comment) for h in application.history] == [
            ("submitted", None, None),
            ("needs_correction", 1, "Фото <размыто>"),
        ]
        [entry] = await ApplicationRepository(db).ranking("22.02.08", 2027)
        assert entry.number == "М-2027-0001"
        user = await UserRepository(db).get(1002)
        assert user is not None and user.unreachable and user.language == "ru"
        row = await OutboxRepository(db).get("status:1:2")
        assert row is not None and json.loads(row["payload"])["part"] == 1
        [due] = await OutboxRepository(db).due(datetime(2026, 11, 20, 6, tzinfo=UTC))
        assert due.attempts == 3
        reminders = ReminderRepository(db)
        assert await reminders.optouts(1001) == {"opening"}
        student = await reminders.student(1002)
        assert student is not None and student.group_name == "МП-25-1"
        [period] = await reminders.periods_after(date(2027, 1, 1))
        assert period.report_deadline == date(2027, 6, 25)
        question = await QuestionRepository(db).get(17)
        assert question is not None and question.text == "Нужна ли медсправка?"
        # A new application after the carried one takes the next number.
        data = replace(application.data, full_name="Петрова Ольга Ивановна")
        _, created = await ApplicationRepository(db).submit(
            user_id=1002, campaign_year=2027, data=data, documents=[],
            now=datetime(2026, 11, 27, tzinfo=UTC), notices=[],
        )  # fmt: skip
        assert created
        numbers = await db.fetchall("SELECT number FROM applications ORDER BY id")
        assert [r[0] for r in numbers] == ["М-2027-0001", "М-2027-0002"]

"""Questions to the admission committee and their answers.

A question and its relay to the staff are written in one transaction, and so are an answer
and its delivery to the asker: the outbox rows carry ids only, the text stays here (and
goes with the person's data when they delete it).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from db.database import Database
from db.outbox import enqueue, utc
from db.rows import RowMapper

CONTENT_TYPES = ("text", "photo", "document")


@dataclass(frozen=True, slots=True)
class Question:
    id: int
    user_id: int
    asked_at: datetime
    content_type: str  # text | photo | document
    text: str  # the question, or the caption of the file ("" for none)
    file_id: str | None
    answered_at: datetime | None  # the first answer
    answered_by: int | None
    college_id: str | None = None  # to that college's practicum staff; None: the committee


@dataclass(frozen=True, slots=True)
class Answer:
    id: int
    question_id: int
    answered_at: datetime
    answered_by: int
    text: str


_question = RowMapper(Question)
_answer = RowMapper(Answer)


class QuestionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def ask(
        self,
        user_id: int,
        content_type: str,
        text: str,
        file_id: str | None,
        now: datetime,
        recipients: Sequence[int],
        *,
        max_open: int,
        college_id: str | None = None,
    ) -> int | None:
        """Store a question and queue its relay to every staff chat in ``recipients``;
        ``college_id``: a question to that college's practicum staff.

        Returns the question's number, or None when the user already has ``max_open``
        unanswered questions (checked in the same transaction, so a burst cannot pass it).
        """
        if content_type not in CONTENT_TYPES:
            raise ValueError(f"unknown content type {content_type!r}")
        async with self.db.transaction():
            if await self.open_count(user_id) >= max_open:
                return None
            question_id = await self.db.insert(
                "INSERT INTO questions (user_id, asked_at, content_type, text, file_id, "
                "college_id) VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, utc(now), content_type, text, file_id, college_id),
            )
            for chat_id in recipients:
                await enqueue(
                    self.db,
                    dedup_key=f"question:{question_id}:{chat_id}",
                    chat_id=chat_id,
                    kind="question",
                    payload={"question_id": question_id},
                    due_at=now,
                    now=now,
                )
        return question_id

    async def answer(
        self, question_id: int, staff_id: int, text: str, now: datetime
    ) -> Answer | None:
        """Record an answer and queue its delivery to the asker; None if the question is
        gone. A follow-up answer is delivered too; the question keeps its first answer time."""
        async with self.db.transaction():
            asker = await self.db.fetchval(
                "SELECT user_id FROM questions WHERE id = ?", (question_id,)
            )
            if asker is None:
                return None
            answer_id = await self.db.insert(
                "INSERT INTO question_answers (question_id, answered_at, answered_by, text) "
                "VALUES (?, ?, ?, ?)",
                (question_id, utc(now), staff_id, text),
            )
            await self.db.execute(
                "UPDATE questions SET answered_at = ?, answered_by = ? "
                "WHERE id = ? AND answered_at IS NULL",
                (utc(now), staff_id, question_id),
            )
            await enqueue(
                self.db,
                dedup_key=f"answer:{answer_id}",
                chat_id=int(asker),
                kind="answer",
                payload={"question_id": question_id, "answer_id": answer_id},
                due_at=now,
                now=now,
            )
        return Answer(answer_id, question_id, now, staff_id, text)

    async def get(self, question_id: int) -> Question | None:
        return _question.one(
            await self.db.fetchone("SELECT * FROM questions WHERE id = ?", (question_id,))
        )

    async def get_answer(self, answer_id: int) -> Answer | None:
        return _answer.one(
            await self.db.fetchone("SELECT * FROM question_answers WHERE id = ?", (answer_id,))
        )

    async def answers(self, question_id: int) -> list[Answer]:
        rows = await self.db.fetchall(
            "SELECT * FROM question_answers WHERE question_id = ? ORDER BY id", (question_id,)
        )
        return _answer.all(rows)

    async def unanswered(
        self, limit: int = 20, codes: Collection[str] | None = None, college: str | None = None
    ) -> list[Question]:
        """Questions nobody has answered yet, the oldest first; ``codes`` and ``college``
        limit them to what a college's staff see (:func:`visible_clause`)."""
        where, params = visible_clause(codes, college)
        rows = await self.db.fetchall(
            f"SELECT * FROM questions q WHERE answered_at IS NULL {where} ORDER BY id LIMIT ?",
            (*params, limit),
        )
        return _question.all(rows)

    async def count_unanswered(
        self, codes: Collection[str] | None = None, college: str | None = None
    ) -> int:
        where, params = visible_clause(codes, college)
        return int(
            await self.db.fetchval(
                f"SELECT count(*) FROM questions q WHERE answered_at IS NULL {where}", params
            )
        )

    async def undelivered(
        self, limit: int = 20, codes: Collection[str] | None = None, college: str | None = None
    ) -> list[Question]:
        """Answered questions whose latest answer the sender finally failed to deliver
        (``failed``, or ``blocked``: the asker blocked the bot), the oldest first."""
        where, params = visible_clause(codes, college)
        rows = await self.db.fetchall(
            f"""
            SELECT q.* FROM questions q
            JOIN outbox o ON o.dedup_key = 'answer:' || (
                SELECT max(qa.id) FROM question_answers qa WHERE qa.question_id = q.id)
            WHERE q.answered_at IS NOT NULL AND o.status IN ('failed', 'blocked') {where}
            ORDER BY q.id LIMIT ?
            """,
            (*params, limit),
        )
        return _question.all(rows)

    async def deliveries(self, question_id: int) -> dict[int, str]:
        """The outbox status of each answer's delivery to the asker, by answer id:
        ``pending``, ``sent``, ``failed``, ``blocked`` or ``dropped`` (no entry: unknown)."""
        rows = await self.db.fetchall(
            "SELECT qa.id, o.status FROM question_answers qa "
            "JOIN outbox o ON o.dedup_key = 'answer:' || qa.id WHERE qa.question_id = ?",
            (question_id,),
        )
        return {int(r["id"]): str(r["status"]) for r in rows}

    async def open_count(self, user_id: int) -> int:
        """How many of a user's questions are still unanswered."""
        return int(
            await self.db.fetchval(
                "SELECT count(*) FROM questions WHERE user_id = ? AND answered_at IS NULL",
                (user_id,),
            )
        )


def asker_clause(codes: Collection[str] | None) -> tuple[str, tuple[object, ...]]:
    """SQL limiting rows ``q`` (with a ``user_id``) to the askers the staff of a college see
    (``codes``: its specialties; None: every college).

    Someone with an application is the business of the colleges that application chooses (the
    asker's latest one, as the question card shows it); someone without one is everyone's. So
    staff of one college never see another college's applicant, and every question is seen by
    someone: staff of every college see them all.
    """
    if codes is None:
        return "", ()
    ordered = sorted(codes)
    marks = ",".join("?" * len(ordered))
    chosen = (
        " OR EXISTS (SELECT 1 FROM application_choices v WHERE v.application_id = ("
        "SELECT a.id FROM applications a WHERE a.user_id = q.user_id "
        f"ORDER BY a.campaign_year DESC LIMIT 1) AND v.specialty_code IN ({marks}))"
        if ordered
        else ""
    )
    return (
        f" AND (NOT EXISTS (SELECT 1 FROM applications a WHERE a.user_id = q.user_id){chosen})",
        tuple(ordered),
    )


def visible_clause(
    codes: Collection[str] | None, college: str | None = None
) -> tuple[str, tuple[object, ...]]:
    """SQL limiting questions ``q`` to those the staff of a college see (``codes``: its
    specialties, ``college``: its id; None: every college): a question to a college's
    practicum staff (``q.college_id``) is that college's only; any other, as
    :func:`asker_clause` says."""
    if codes is None:
        return "", ()
    asker, params = asker_clause(codes)
    return (
        f" AND ((q.college_id IS NULL{asker}) OR q.college_id IS ?)",
        (*params, college),
    )

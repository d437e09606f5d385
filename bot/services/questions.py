"""Questions to the admission office at work: which ones a staff member may see."""

from __future__ import annotations

from bot.domain.catalog import Catalog
from bot.domain.roles import Scope
from db.applications import ApplicationRepository
from db.questions import Question, QuestionRepository


async def visible_question(
    question_id: int,
    scope: Scope,
    questions: QuestionRepository,
    applications: ApplicationRepository,
    catalog: Catalog,
) -> Question | None:
    """The question if it exists and ``scope`` covers its asker (``Scope.sees_asker``: staff
    of one college see its applicants' questions and those of people without an
    application, never another college's applicant). A question to a college's work placement
    staff is that college's only."""
    question = await questions.get(question_id)
    if question is None:
        return None
    if question.college_id is not None:
        return question if scope.sees_college(question.college_id) else None
    application = await applications.for_user(question.user_id)
    chosen = None if application is None else application.data.specialties
    return question if scope.sees_asker(catalog, chosen) else None

"""Every dialogue state of the bot: one StatesGroup per dialogue, in one leaf module."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


# application (the form): the step being asked; the answers are the draft (draft_store)
class Apply(StatesGroup):
    consent = State()
    full_name = State()
    birth_date = State()
    phone = State()
    email = State()
    education_base = State()
    average_score = State()
    score_confirm = State()
    representative = State()
    specialties = State()
    dormitory = State()
    channel = State()
    documents = State()
    review = State()


# broadcast
class BroadcastForm(StatesGroup):
    message = State()
    english = State()  # the optional English version
    segment = State()


# my_application.upload
class AddDocument(StatesGroup):
    upload = State()


# questions
class QuestionForm(StatesGroup):
    question = State()
    answer = State()


# specialties
class SearchForm(StatesGroup):
    query = State()


# staff
class StaffForm(StatesGroup):
    comment = State()
    search = State()


# staff.catalog: an edited workbook is awaited
class CatalogForm(StatesGroup):
    upload = State()


# staff.faq: an FAQ entry made from a staff answer
class FaqForm(StatesGroup):
    english = State()
    question = State()


# student
class StudentForm(StatesGroup):
    group = State()


# events (the applicant's registration)
class EventForm(StatesGroup):
    name = State()
    phone = State()


# staff.events
class StaffEventForm(StatesGroup):
    field = State()  # a typed field of the event being edited
    poster_label = State()


# The dialogues of the staff screens: /cancel in any of them (or in none) brings a staff member
# back to the staff panel (handlers/staff/panel.py), not to the applicants' menu.
STAFF_DIALOGUES = (
    StaffForm,
    BroadcastForm,
    QuestionForm.answer,
    StaffEventForm,
    CatalogForm,
    FaqForm,
)

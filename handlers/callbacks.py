"""Callback data of every inline button, in one leaf module that imports no feature.

Ids and small numbers only, never free text; each ``action`` is a ``StrEnum`` listing what a
button may ask. ``tests/test_callbacks.py`` packs every action with the largest ids and checks
that the prefixes are unique and every packed value fits Telegram's 64 bytes.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class Section(StrEnum):
    home = "home"
    specialties = "specs"
    colleges = "colleges"
    howto = "howto"
    contacts = "contacts"
    apply = "apply"
    student = "student"
    language = "lang"
    search = "search"
    reminders = "remind"


class QuestionAction(StrEnum):
    ask = "ask"
    cancel = "cancel"
    list = "list"
    open = "open"
    answer = "answer"


class TypedAction(StrEnum):
    """A question typed outside any dialogue, on its way to the admission committee."""

    ask = "ask"  # show the confirmation
    send = "send"
    cancel = "cancel"


class MyAppAction(StrEnum):
    show = "show"
    edit = "edit"
    send_review = "send_review"
    add_doc = "add_doc"
    kind = "kind"
    upload_more = "upload_more"
    upload_done = "upload_done"
    withdraw = "withdraw"
    withdraw_yes = "withdraw_yes"
    resubmit = "resubmit"
    delete = "delete"
    delete_yes = "delete_yes"


class FormAction(StrEnum):
    back = "back"
    cancel = "cancel"
    cancel_yes = "cancel_yes"
    cancel_no = "cancel_no"
    resume = "resume"
    restart = "restart"
    edit = "edit"
    representative = "representative"
    email_skip = "email_skip"
    base = "base"
    score_ok = "score_ok"
    score_redo = "score_redo"
    pick = "pick"
    picks_done = "picks_done"
    dorm = "dorm"
    channel = "channel"
    doc_done = "doc_done"
    doc_skip = "doc_skip"
    doc_more = "doc_more"
    submit = "submit"


class BroadcastAction(StrEnum):
    new = "new"
    no_english = "no_en"
    segments = "segments"
    kind = "kind"
    pick = "pick"
    confirm = "confirm"
    cancel = "cancel"


class ConsentAction(StrEnum):
    yes = "yes"
    no = "no"
    full = "full"  # the full text
    short = "short"  # the text in short


class QueueAction(StrEnum):
    panel = "panel"
    queue = "queue"
    f_status = "f_status"
    f_college = "f_college"
    f_spec = "f_spec"
    search = "search"


class CardAction(StrEnum):
    card = "card"
    docs = "docs"
    accept = "accept"
    correct = "correct"
    reject = "reject"
    enroll = "enroll"
    original = "original"
    medical = "medical"


class ReportAction(StrEnum):
    menu = "menu"
    lists = "lists"
    rank = "rank"
    xlsx = "xlsx"
    csv = "csv"
    stats = "stats"


class RolesAction(StrEnum):
    list = "list"
    invite = "invite"
    revoke_ask = "revoke_ask"
    revoke = "revoke"


class StudentAction(StrEnum):
    register = "register"
    college = "college"
    specialty = "specialty"


class HowtoPage(StrEnum):
    """The screens of «How to apply»."""

    overview = "overview"
    dates = "dates"
    documents = "documents"
    ranking = "ranking"
    gosuslugi = "gosuslugi"
    medical = "medical"


class FilterKind(StrEnum):
    college = "college"
    base = "base"


class MenuCb(CallbackData, prefix="m"):
    to: Section


class SpecListCb(CallbackData, prefix="sl"):
    page: int = 0
    college: str = ""  # college id, "" = all
    base: int = 0  # 9 or 11, 0 = any


class SpecFilterCb(CallbackData, prefix="sf"):
    """Open the chooser of one filter, keeping the other one."""

    what: FilterKind
    college: str = ""
    base: int = 0


class SpecCardCb(CallbackData, prefix="sc"):
    code: str
    page: int = 0
    college: str = ""
    base: int = 0


class CollegeCb(CallbackData, prefix="c"):
    id: str


class FaqCb(CallbackData, prefix="f"):
    index: int


class HowtoCb(CallbackData, prefix="ht"):
    page: HowtoPage


class LanguageCb(CallbackData, prefix="lang"):
    code: str


class ApplyCb(CallbackData, prefix="ap"):
    code: str = ""  # the specialty chosen on its card, "" from the menu


class QuestionCb(CallbackData, prefix="q"):
    action: QuestionAction
    id: int = 0


class TypedCb(CallbackData, prefix="tq"):
    """The question itself stays in the dialogue data: callback data carries no free text,
    only the id of the message it was typed in (a newer question makes older buttons stale)."""

    action: TypedAction
    id: int = 0


class MyAppCb(CallbackData, prefix="ma"):
    action: MyAppAction
    value: str = ""


class FormCb(CallbackData, prefix="af"):
    action: FormAction
    value: str = ""


class BroadcastCb(CallbackData, prefix="bc"):
    action: BroadcastAction
    kind: str = ""
    value: str = ""  # a specialty code, a college id or a status
    index: int = 0  # a student group, by its place in the list kept in the dialogue


class ConsentCb(CallbackData, prefix="cs"):
    action: ConsentAction


class ReminderCb(CallbackData, prefix="rm"):
    kind: str


class FollowCb(CallbackData, prefix="fw"):
    """«Remind me when admission opens» on a specialty card (toggles)."""

    code: str
    page: int = 0
    college: str = ""
    base: int = 0


class QueueCb(CallbackData, prefix="sq"):
    """The staff panel, the search and the queue of applications with its filters."""

    action: QueueAction
    status: str = ""  # queue filters: "" = any
    spec: str = ""
    college: str = ""
    page: int = 0


class CardCb(CallbackData, prefix="sa"):
    """An application's card and the review actions on it."""

    action: CardAction
    id: int  # the application
    page: int = 0  # «📎 Documents»: the page of files


class ReportCb(CallbackData, prefix="sr"):
    action: ReportAction
    code: str = ""


class RolesCb(CallbackData, prefix="rl"):
    action: RolesAction
    college: str = ""  # for invite: a college id, or ALL_COLLEGES
    user: int = 0  # for revoke


class StudentCb(CallbackData, prefix="st"):
    action: StudentAction
    value: str = ""

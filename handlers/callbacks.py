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
    events = "events"


class QuestionAction(StrEnum):
    ask = "ask"
    cancel = "cancel"
    list = "list"
    open = "open"
    answer = "answer"


class TypedAction(StrEnum):
    """A question typed outside any dialogue, on its way to the admission office."""

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


class QueueSort(StrEnum):
    """The queue's order (one letter: the queue's callback data is near Telegram's 64 bytes)."""

    date = "d"  # the oldest submission first
    score = "s"  # the highest average score first


class CardAction(StrEnum):
    """The card's buttons: the decisions of bot/domain/review.py (same values) and the steps
    around them."""

    card = "card"
    docs = "docs"
    accept = "accept"
    correct = "correct"
    reject = "reject"
    enroll = "enroll"  # which specialty (or straight to the confirmation with one choice)
    enroll_to = "enroll_to"  # the confirmation, naming the specialty
    enroll_yes = "enroll_yes"  # confirmed
    original = "original"
    medical = "medical"
    undo = "undo"  # an administrator cancels the latest decision (a reason is asked)


class ReportAction(StrEnum):
    menu = "menu"
    lists = "lists"
    rank = "rank"
    xlsx = "xlsx"
    csv = "csv"
    stats = "stats"
    publish = "publish"  # the ranking list of a specialty to its applicants: asked to confirm
    publish_yes = "publish_yes"


class OrderAction(StrEnum):
    """The enrolment order of a specialty: its screen, a page, an applicant selected or not,
    the confirmation, the order issued."""

    open = "open"
    page = "page"
    toggle = "toggle"
    confirm = "confirm"
    issue = "issue"


class RolesAction(StrEnum):
    list = "list"
    invite = "invite"
    revoke_ask = "revoke_ask"
    revoke = "revoke"


class CatalogAction(StrEnum):
    menu = "menu"
    download = "download"
    upload = "upload"
    versions = "versions"
    version = "version"  # id: a version to go back to
    apply = "apply"  # id: a draft
    drop = "drop"  # id: a draft


class FaqAction(StrEnum):
    """An FAQ entry made from a staff answer."""

    new = "new"  # id: the answer
    russian = "russian"  # keep it in Russian only
    reword = "reword"  # type the question anew
    cancel = "cancel"


class StudentAction(StrEnum):
    register = "register"
    consent_yes = "consent_yes"
    consent_no = "consent_no"
    college = "college"  # value: the college; id: the page of its groups
    group = "group"  # id: the group
    keep = "keep"  # register with the group as typed, not listed by the college
    retype = "retype"
    specialty = "specialty"  # value: the specialty (of a group the college has not listed)
    calendar = "calendar"
    ask = "ask"
    leave = "leave"
    leave_yes = "leave_yes"


class EventAction(StrEnum):
    """An applicant's events: the list, a card, registering, their registrations."""

    list = "list"
    card = "card"
    register = "reg"
    go = "go"  # register with the name and phone shown
    details = "details"  # another name or phone
    mine = "mine"
    cancel = "cancel"  # asks first
    cancel_yes = "cancel_yes"
    accept = "accept"  # take the seat offered
    decline = "decline"
    qr = "qr"  # the entry code again


class StaffEventAction(StrEnum):
    list = "list"
    card = "card"
    new = "new"
    edit = "edit"
    cancel = "cancel"  # asks first
    cancel_yes = "cancel_yes"
    people = "people"
    mark = "mark"  # attendance, toggled by tapping a name
    xlsx = "xlsx"


class EditAction(StrEnum):
    """The staff's editor of an event (the draft is in the dialogue's data)."""

    show = "show"
    field = "field"  # ask for a typed field
    kind = "kind"
    college = "college"
    spec = "spec"  # toggle a specialty
    aud = "aud"  # toggle who may come
    save = "save"
    discard = "discard"


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
    sort: QueueSort = QueueSort.date


class CardCb(CallbackData, prefix="sa"):
    """An application's card and the review actions on it."""

    action: CardAction
    id: int  # the application
    page: int = 0  # «📎 Documents»: the page of files
    code: str = ""  # enrolment: the specialty, one of the applicant's choices


class ReportCb(CallbackData, prefix="sr"):
    action: ReportAction
    code: str = ""


class OrderCb(CallbackData, prefix="eo"):
    """The enrolment order of a specialty (the selection itself is kept in the dialogue)."""

    action: OrderAction
    code: str
    id: int = 0  # toggle: the application
    page: int = 0


class RankingCb(CallbackData, prefix="rk"):
    """A ranking list as published to the applicants (numbers only)."""

    code: str


class RolesCb(CallbackData, prefix="rl"):
    action: RolesAction
    college: str = ""  # for invite: a college id, or ALL_COLLEGES
    user: int = 0  # for revoke
    page: int = 0  # of the list


class StudentCb(CallbackData, prefix="st"):
    action: StudentAction
    value: str = ""
    id: int = 0


class EventsCb(CallbackData, prefix="ev"):
    """The applicant's events; ``spec``: the specialty whose card led to the list."""

    action: EventAction
    event: str = ""  # an event id
    reg: int = 0  # a registration
    spec: str = ""


class EventConsentCb(CallbackData, prefix="ec"):
    """The short consent for events, given on the way to register for ``event``."""

    action: ConsentAction
    event: str = ""


class StaffEventCb(CallbackData, prefix="se"):
    action: StaffEventAction
    event: str = ""
    page: int = 0
    reg: int = 0


class EventEditCb(CallbackData, prefix="ee"):
    action: EditAction
    value: str = ""  # a field's name, a kind, a college id, a specialty code, an audience


class PosterCb(CallbackData, prefix="pq"):
    """A printable poster of a deep link: ``kind`` "" chooses what, then ``ref`` which."""

    kind: str = ""  # a LinkKind value: go, sp, co, ev
    ref: str = ""  # a specialty code, a college or event id ("-" for the menu)
    make: int = 0  # 1: make it now, without a source label


class CatalogCb(CallbackData, prefix="ct"):
    """/catalog: the workbook, the versions, and a change waiting for confirmation."""

    action: CatalogAction
    id: int = 0


class FaqNewCb(CallbackData, prefix="fn"):
    action: FaqAction
    id: int = 0  # the answer


class UnansweredCb(CallbackData, prefix="ua"):
    """The staff's list of what applicants typed and the bot could not answer."""

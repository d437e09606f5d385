"""The staff's editor of an event: a draft in the dialogue's data, one button a field (typed,
or chosen from buttons), saved whole into the catalogue (a new version; everyone registered is
told of what changed for them). Staff of one college edit the events of their college only.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import ValidationError

from bot.clock import Clock
from bot.domain.catalog import Audience, Catalog, Event, EventKind
from bot.domain.events import local_now, parse_moment
from bot.domain.roles import Scope
from bot.services.events import EventService, new_event_id
from db.events import EventRepository
from db.staff import StaffRepository
from handlers.callbacks import (
    EditAction,
    EventEditCb,
    StaffEventAction,
    StaffEventCb,
)
from handlers.event_texts import (
    audience_label,
    fmt_moment,
    kind_label,
)
from handlers.staff.events import (
    event_screen,
    events_list,
    may_see,
    visible_event,
)
from handlers.states import StaffEventForm
from handlers.ui import alert, current_language, h, show, unknown

DRAFT_KEY = "event_draft"
FIELD_KEY = "event_field"
TEXT_MAX = 2000
TITLE_MAX = 120
# The fields typed in the editor (``_en``: the English text of the field before it).
EDITED_FIELDS = (
    "title",
    "title_en",
    "place",
    "place_en",
    "bring",
    "bring_en",
    "start",
    "end",
    "seats",
    "deadline",
)


def draft_of(event: Event) -> dict[str, Any]:
    return event.model_dump(mode="json")


def new_draft(scope: Scope) -> dict[str, Any]:
    return {
        "kind": EventKind.open_day.value,
        "college": scope.college_id,
        "specialties": [],
        "audience": [],
    }


def event_of(draft: dict[str, Any], catalog: Catalog) -> tuple[Event | None, list[str]]:
    """The event a draft makes, or the problems (a field still missing, times out of order)."""
    data = {**draft}
    data.setdefault("id", "draft")
    try:
        return Event.model_validate(data), []
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False):
            place = ".".join(str(p) for p in item["loc"])
            message = str(item["msg"]).removeprefix("Value error, ")
            if item["type"] == "missing":
                message = _("needs a value")
            problems.append(f"{place}: {message}" if place else message)
        return None, problems


def _text(draft: dict[str, Any], field: str, lang: str) -> str | None:
    value = draft.get(field)
    return value.get(lang) if isinstance(value, dict) else None


def editor_screen(
    draft: dict[str, Any], catalog: Catalog, scope: Scope
) -> tuple[str, InlineKeyboardMarkup]:
    lang = current_language()

    def shown(value: object) -> str:
        return h(str(value)) if value not in (None, "", []) else unknown()

    def moment(field: str) -> str:
        value = draft.get(field)
        return fmt_moment(datetime.fromisoformat(value)) if value else unknown()

    college = catalog.college(draft["college"]) if draft.get("college") else None
    seats = draft.get("seats")
    lines = [
        _("<b>New event</b>") if not draft.get("id") else _("<b>Editing the event</b>"),
        "",
        _("Title: {ru} / {en}").format(
            ru=shown(_text(draft, "title", "ru")), en=shown(_text(draft, "title", "en"))
        ),
        _("Kind: {kind}").format(kind=kind_label(EventKind(draft["kind"]))),
        _("College: {college}").format(
            college=h(college.short_name.get(lang)) if college else _("the whole cluster")
        ),
        _("Specialties: {codes}").format(
            codes=", ".join(draft.get("specialties") or []) or _("any")
        ),
        _("Place: {ru} / {en}").format(
            ru=shown(_text(draft, "place", "ru")), en=shown(_text(draft, "place", "en"))
        ),
        _("Start: {start}; end: {end}").format(start=moment("start"), end=moment("end")),
        _("Seats: {seats}").format(seats=seats if seats else _("no limit")),
        _("Who may come: {who}").format(
            who=", ".join(audience_label(Audience(a)) for a in draft.get("audience") or [])
            or _("anyone")
        ),
        _("Bring: {ru} / {en}").format(
            ru=shown(_text(draft, "bring", "ru")), en=shown(_text(draft, "bring", "en"))
        ),
        _("Registration until: {moment}").format(
            moment=moment("registration_deadline")
            if draft.get("registration_deadline")
            else _("the start")
        ),
        "",
        _("Press what to change; «💾 Save» when it is ready. English texts are optional."),
    ]
    builder = InlineKeyboardBuilder()
    labels = {
        "title": _("Title"),
        "title_en": _("Title (en)"),
        "place": _("Place"),
        "place_en": _("Place (en)"),
        "bring": _("Bring"),
        "bring_en": _("Bring (en)"),
        "start": _("Start"),
        "end": _("End"),
        "seats": _("Seats"),
        "deadline": _("Registration until"),
    }
    for field in EDITED_FIELDS:
        builder.button(
            text="✏️ " + labels[field],
            callback_data=EventEditCb(action=EditAction.field, value=field),
        )
    builder.button(text=_("Kind"), callback_data=EventEditCb(action=EditAction.kind))
    if scope.college_id is None:
        builder.button(text=_("College"), callback_data=EventEditCb(action=EditAction.college))
    builder.button(text=_("Specialties"), callback_data=EventEditCb(action=EditAction.spec))
    builder.button(text=_("Who may come"), callback_data=EventEditCb(action=EditAction.aud))
    builder.button(text=_("💾 Save"), callback_data=EventEditCb(action=EditAction.save))
    builder.button(text=_("✖️ Discard"), callback_data=EventEditCb(action=EditAction.discard))
    choices = 4 if scope.college_id is None else 3
    builder.adjust(2, 2, 2, 2, 2, *([2] * (choices // 2)), *([1] * (choices % 2)), 2)
    return "\n".join(lines), builder.as_markup()


def field_prompt(field: str, draft: dict[str, Any]) -> str:
    examples = {
        "title": _("Type the title in Russian, e.g. «День открытых дверей»."),
        "title_en": _("Type the title in English, e.g. «Open day», or «-» to leave it out."),
        "place": _(
            "Type the place in Russian (address, room; for an online meeting, the link), "
            "or «-» to leave it out."
        ),
        "place_en": _("Type the place in English, or «-» to leave it out."),
        "bring": _("What to bring, in Russian (e.g. «паспорт, сменная обувь»), or «-»."),
        "bring_en": _("What to bring, in English, or «-»."),
        "start": _("Type the start, local time: DD.MM.YYYY HH:MM, e.g. 14.03.2027 11:00."),
        "end": _("Type the end: HH:MM on the day of the start, or DD.MM.YYYY HH:MM."),
        "seats": _("Type the number of seats, or «-» for no limit."),
        "deadline": _("Type when registration closes: DD.MM.YYYY HH:MM, or «-»: at the start."),
    }
    return examples[field]


def take_field(draft: dict[str, Any], field: str, text: str) -> dict[str, Any]:
    """The draft with a typed field; ``ValueError`` with the hint when it is not valid."""
    text = text.strip()
    clear = text in ("-", "—")
    draft = {**draft}
    if field in ("title", "place", "bring"):
        limit = TITLE_MAX if field == "title" else TEXT_MAX
        current = draft.get(field) if isinstance(draft.get(field), dict) else None
        if clear and field != "title":
            draft[field] = None
        elif not text or clear:
            raise ValueError(_("The title cannot be empty."))
        elif len(text) > limit:
            raise ValueError(_("At most {limit} characters, please.").format(limit=limit))
        else:
            draft[field] = {"ru": text, "en": (current or {}).get("en")}
    elif field in ("title_en", "place_en", "bring_en"):
        base = field.removesuffix("_en")
        current = draft.get(base) if isinstance(draft.get(base), dict) else None
        if current is None:
            raise ValueError(_("Type the Russian text first."))
        limit = TITLE_MAX if base == "title" else TEXT_MAX
        if len(text) > limit:
            raise ValueError(_("At most {limit} characters, please.").format(limit=limit))
        draft[base] = {"ru": current["ru"], "en": None if clear else text}
    elif field == "seats":
        if clear:
            draft["seats"] = None
        elif not text.isdigit() or not 1 <= int(text) <= 100000:
            raise ValueError(_("Type a whole number from 1, or «-» for no limit."))
        else:
            draft["seats"] = int(text)
    elif field == "deadline" and clear:
        draft["registration_deadline"] = None
    else:
        start = datetime.fromisoformat(draft["start"]) if draft.get("start") else None
        day = start.date() if field == "end" and start else None
        try:
            moment = parse_moment(text, day)
        except ValueError:
            raise ValueError(field_prompt(field, draft)) from None
        if field == "start":
            end = datetime.fromisoformat(draft["end"]) if draft.get("end") else None
            if end is None or end <= moment:  # a new start keeps the event's length
                length = end - start if end and start and end > start else timedelta(hours=2)
                draft["end"] = (moment + length).isoformat()
            draft["start"] = moment.isoformat()
        elif field == "end":
            draft["end"] = moment.isoformat()
        else:
            draft["registration_deadline"] = moment.isoformat()
    return draft


def choice_screen(
    action: EditAction, draft: dict[str, Any], catalog: Catalog
) -> tuple[str, InlineKeyboardMarkup]:
    lang = current_language()
    builder = InlineKeyboardBuilder()
    if action is EditAction.kind:
        text = _("What kind of event?")
        for kind in EventKind:
            mark = "✅ " if draft.get("kind") == kind.value else ""
            builder.button(
                text=mark + kind_label(kind),
                callback_data=EventEditCb(action=EditAction.kind, value=kind.value),
            )
    elif action is EditAction.college:
        text = _("Which college holds it?")
        mark = "✅ " if not draft.get("college") else ""
        builder.button(
            text=mark + _("The whole cluster"),
            callback_data=EventEditCb(action=EditAction.college, value="-"),
        )
        for college in catalog.colleges:
            mark = "✅ " if draft.get("college") == college.id else ""
            builder.button(
                text=mark + college.short_name.get(lang),
                callback_data=EventEditCb(action=EditAction.college, value=college.id),
            )
    elif action is EditAction.spec:
        text = _("Which specialties is it about? Tap to add or remove; none: any.")
        chosen = draft.get("specialties") or []
        for specialty in catalog.specialties:
            mark = "✅ " if specialty.code in chosen else ""
            builder.button(
                text=f"{mark}{specialty.code} · {specialty.short_name.get(lang)}",
                callback_data=EventEditCb(action=EditAction.spec, value=specialty.code),
            )
    else:
        text = _("Who may come? Tap to add or remove; none: anyone.")
        chosen = draft.get("audience") or []
        for audience in Audience:
            mark = "✅ " if audience.value in chosen else ""
            builder.button(
                text=mark + audience_label(audience),
                callback_data=EventEditCb(action=EditAction.aud, value=audience.value),
            )
    builder.button(text=_("✅ Done"), callback_data=EventEditCb(action=EditAction.show))
    builder.adjust(1)
    return text, builder.as_markup()


def toggled(values: list[str], value: str) -> list[str]:
    return [v for v in values if v != value] if value in values else [*values, value]


def _source_of_new(today: date) -> str:
    # The catalogue's sources are documents in Russian, whatever the staff member reads.
    return f"Приёмная комиссия: добавлено в боте {today:%d.%m.%Y}"


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(StaffEventCb.filter(F.action == StaffEventAction.new))
    async def new(
        callback: CallbackQuery, scope: Scope, catalog: Catalog, state: FSMContext
    ) -> None:
        await state.set_state(None)
        draft = new_draft(scope)
        await state.update_data({DRAFT_KEY: draft})
        await show(callback, *editor_screen(draft, catalog, scope))

    @router.callback_query(StaffEventCb.filter(F.action == StaffEventAction.edit), visible_event)
    async def edit(
        callback: CallbackQuery, event: Event, scope: Scope, catalog: Catalog, state: FSMContext
    ) -> None:
        await state.set_state(None)
        draft = draft_of(event)
        await state.update_data({DRAFT_KEY: draft})
        await show(callback, *editor_screen(draft, catalog, scope))

    @router.callback_query(EventEditCb.filter(F.action == EditAction.show), with_draft)
    async def editor(
        callback: CallbackQuery,
        draft: dict[str, Any],
        scope: Scope,
        catalog: Catalog,
        state: FSMContext,
    ) -> None:
        await state.set_state(None)
        await show(callback, *editor_screen(draft, catalog, scope))

    @router.callback_query(
        EventEditCb.filter((F.action == EditAction.field) & F.value.in_(EDITED_FIELDS)), with_draft
    )
    async def ask_field(
        callback: CallbackQuery,
        callback_data: EventEditCb,
        draft: dict[str, Any],
        state: FSMContext,
    ) -> None:
        await state.set_state(StaffEventForm.field)
        await state.update_data({FIELD_KEY: callback_data.value})
        builder = InlineKeyboardBuilder()
        builder.button(text=_("⬅️ Back"), callback_data=EventEditCb(action=EditAction.show))
        await show(callback, field_prompt(callback_data.value, draft), builder.as_markup())

    @router.message(StateFilter(StaffEventForm.field), F.text)
    async def field_typed(
        message: Message, scope: Scope, catalog: Catalog, state: FSMContext
    ) -> None:
        data = await state.get_data()
        draft, field = data.get(DRAFT_KEY), str(data.get(FIELD_KEY, ""))
        if not isinstance(draft, dict) or field not in EDITED_FIELDS:
            await state.set_state(None)
            await message.answer(_("This editor is out of date: open the event again."))
            return
        try:
            draft = take_field(draft, field, message.text or "")
        except ValueError as error:
            await message.answer(str(error))
            return
        await state.set_state(None)
        await state.update_data({DRAFT_KEY: draft})
        text, markup = editor_screen(draft, catalog, scope)
        await message.answer(text, reply_markup=markup)

    @router.message(StateFilter(StaffEventForm.field))
    async def field_needs_text(message: Message) -> None:
        await message.answer(_("Please type it as text, or press «⬅️ Back»."))

    @router.callback_query(
        EventEditCb.filter(
            F.action.in_({EditAction.kind, EditAction.college, EditAction.spec, EditAction.aud})
        ),
        with_draft,
    )
    async def choose(
        callback: CallbackQuery,
        callback_data: EventEditCb,
        draft: dict[str, Any],
        scope: Scope,
        catalog: Catalog,
        state: FSMContext,
    ) -> None:
        action, value = callback_data.action, callback_data.value
        if value and action is EditAction.kind and value in set(EventKind):
            draft["kind"] = value
        elif value and action is EditAction.college and scope.college_id is None:
            draft["college"] = None if value == "-" else value
        elif value and action is EditAction.spec and catalog.specialty(value):
            draft["specialties"] = toggled(draft.get("specialties") or [], value)
        elif value and action is EditAction.aud and value in set(Audience):
            draft["audience"] = toggled(draft.get("audience") or [], value)
        await state.update_data({DRAFT_KEY: draft})
        if value and action in (EditAction.kind, EditAction.college):
            await show(callback, *editor_screen(draft, catalog, scope))
        else:
            await show(callback, *choice_screen(action, draft, catalog))

    @router.callback_query(EventEditCb.filter(F.action == EditAction.save), with_draft)
    async def save(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        draft: dict[str, Any],
        scope: Scope,
        catalog: Catalog,
        state: FSMContext,
        events: EventService,
        registrations: EventRepository,
        staff: StaffRepository,
        clock: Clock,
        bot: Bot,
    ) -> None:
        event, problems = event_of(draft, catalog)
        if event is None:
            alert(callback_answer, "\n".join(problems)[:190])
            return
        if scope.college_id is not None and event.college != scope.college_id:
            alert(callback_answer, _("Staff of a college add events of their college only."))
            return
        is_new = not draft.get("id")
        if is_new:
            today = local_now(clock.now(), clock.tz).date()
            event = event.model_copy(
                update={
                    "id": new_event_id(catalog, event.start),
                    "source": _source_of_new(today),
                }
            )
        else:
            old = catalog.event(event.id)
            if old is None or not may_see(scope, old):
                alert(callback_answer, _("This event is not in the list (or not of your college)."))
                return
        saved, refused = await events.save_event(event, f"staff:{callback.from_user.id}")
        if saved is None:
            alert(callback_answer, "\n".join(str(p) for p in refused)[:190])
            return
        action = "event:create" if is_new else "event:edit"
        await staff.audit(callback.from_user.id, action, None, event.id, clock.now())
        await state.update_data({DRAFT_KEY: None})
        callback_answer.text = _("Saved.") if is_new else _("Saved; everyone registered is told.")
        found = saved.event(event.id)
        assert found is not None
        await show(callback, *await event_screen(found, saved, registrations, bot))

    @router.callback_query(EventEditCb.filter(F.action == EditAction.discard))
    async def discard(
        callback: CallbackQuery, scope: Scope, catalog: Catalog, clock: Clock, state: FSMContext
    ) -> None:
        await state.set_state(None)
        await state.update_data({DRAFT_KEY: None})
        await show(callback, *events_list(catalog, scope, clock))

    @router.callback_query(EventEditCb.filter())
    async def stale_editor(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        scope: Scope,
        catalog: Catalog,
        clock: Clock,
        state: FSMContext,
    ) -> None:
        """A button of an editor closed since (saved, discarded, or another one opened)."""
        await state.set_state(None)
        alert(callback_answer, _("This editor is out of date: open the event again."))
        await show(callback, *events_list(catalog, scope, clock))

    return router


async def with_draft(callback: CallbackQuery, state: FSMContext) -> bool | dict[str, Any]:
    """A filter: the draft of the editor open in this dialogue."""
    draft = (await state.get_data()).get(DRAFT_KEY)
    return {"draft": draft} if isinstance(draft, dict) else False

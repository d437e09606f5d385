"""The screen of «My application», what comes next for the applicant, and what the applicant's
own changes tell the staff."""

from __future__ import annotations

from datetime import date, timedelta

from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.applications import (
    EDITABLE_STATUSES,
    STAFF_EVENT_DELAY,
    WITHDRAWABLE_STATUSES,
    collapsed,
    document_steps,
    missing_documents,
    needs_medical,
)
from bot.domain.catalog import Catalog
from bot.domain.telegram_text import MESSAGE_LIMIT, telegram_length
from bot.services.applications import ranking_positions
from db.applications import Application, ApplicationRepository, FieldChange, Notice
from handlers.application_texts import (
    change_line,
    checklist_lines,
    document_label,
    documents_of,
    form_of,
    history_lines,
    position_line,
    status_label,
    summary_lines,
)
from handlers.callbacks import MyAppAction, MyAppCb
from handlers.ui import (
    alert,
    current_language,
    fmt_date,
    fmt_number,
    h,
    home_button_row,
    main_menu_keyboard,
    show,
    unknown,
)

# Statuses in which the applicant still has something to bring to the college.
ACTIVE = ("submitted", "needs_correction", "accepted")


def correction_lines(application: Application, changed: list[FieldChange]) -> list[str]:
    """«What to correct»: the staff's comment, what the applicant changed so far, and how to
    send it back."""
    asked = next((c for c in reversed(application.history) if c.status == "needs_correction"), None)
    lines = [_("✏️ <b>What to correct</b>")]
    if asked is not None and asked.comment:
        lines.append(h(asked.comment))
    else:
        lines.append(_("The admission office did not say what: please ask them."))
    shown = collapsed(changed)
    if shown:
        lines.append(_("Changed so far:"))
        lines += ["• " + change_line(change, with_values=False) for change in shown]
        lines.append(_("When everything is corrected, press «📤 Send for review»."))
    else:
        lines.append(
            _(
                "Change the answers («✏️ Change answers») or add documents («📎 Add a "
                "document»), then press «📤 Send for review»."
            )
        )
    return lines


def where_lines(catalog: Catalog, codes: tuple[str, ...] | list[str]) -> list[str]:
    """The colleges of the chosen specialties with their addresses, «to be confirmed» where
    the catalogue does not know them yet."""
    lang = current_language()
    colleges: list[str] = []
    unplaced: list[str] = []
    for code in codes:
        specialty = catalog.specialty(code)
        if specialty is None or not specialty.colleges:
            unplaced.append(code)
            continue
        colleges += [c for c in specialty.colleges if c not in colleges]
    lines = []
    for college_id in colleges:
        college = catalog.college(college_id)
        if college is None:
            continue
        lines.append(
            _("• {college}, {city}: {address}").format(
                college=h(college.name.get(lang)),
                city=h(college.city.get(lang)),
                address=h(college.address) if college.address else _("address to be confirmed"),
            )
        )
    if unplaced:
        lines.append(
            ngettext(
                "• {codes}: the college is being confirmed.",
                "• {codes}: the colleges are being confirmed.",
                len(unplaced),
            ).format(codes=", ".join(unplaced))
        )
    return lines


def bring_lines(application: Application, catalog: Catalog) -> list[str]:
    """What the applicant still brings to the college, by when and where."""
    campaign = catalog.campaign(application.campaign_year)
    things = []
    if not application.original_received:
        things.append(_("the original of your education certificate"))
    if not application.medical_received and needs_medical(catalog, application.data.specialties):
        things.append(_("the medical certificate (form 086/u)"))
    if not things:
        return []
    when = fmt_date(campaign.originals_deadline) if campaign else unknown()
    lines = [
        _("🏫 <b>Bring to the college by {date}:</b> {things}.").format(
            date=when, things=", ".join(things)
        )
    ]
    if application.data.channel == "gosuslugi" and not application.original_received:
        lines.append(_("Applied on Gosuslugi too? You can confirm the original there instead."))
    lines += where_lines(catalog, application.data.specialties)
    return lines


def next_steps_lines(application: Application, catalog: Catalog) -> list[str]:
    """Said once the application is submitted: what happens now, and what is left to do."""
    lines = [
        _("<b>What happens now</b>"),
        _(
            "The admission office checks your application. When its status changes, you get a "
            "message here."
        ),
    ]
    bring = bring_lines(application, catalog)
    if bring:
        lines += ["", *bring]
    missing = missing_documents(catalog, application)
    if missing:
        lines += [
            "",
            _("Not sent yet: {documents}. Add them here: «📎 Add a document».").format(
                documents=", ".join(document_label(kind) for kind in missing)
            ),
        ]
    return lines


async def application_text(
    application: Application,
    applications: ApplicationRepository,
    catalog: Catalog,
    settings: Settings,
    today: date,
    notice: str | None = None,
) -> str:
    lines = [notice, ""] if notice else []
    lines += [
        _("<b>Application {number}</b>").format(number=fmt_number(application.number)),
        _("Status: <b>{status}</b>").format(status=status_label(application.status)),
    ]
    if not catalog.accepts_changes(application.campaign_year, today):
        lines.append(over_text(application))
    elif application.status == "needs_correction":
        changed = await applications.unreported_changes(application.id)
        lines += ["", *correction_lines(application, changed)]
    lines += ["", _("<b>Your place in the ranking</b> (by the average score):")]
    for position in await ranking_positions(applications, catalog, application):
        lines.append("• " + position_line(catalog, position))
    lines += ["", *summary_lines(form_of(application), catalog)]
    wanted = document_steps(catalog, application.data.specialties, application.data.minor)
    lines += ["", *checklist_lines(wanted, documents_of(application), sent=True)]
    if application.status in ACTIVE and not notice:
        bring = bring_lines(application, catalog)
        if bring:
            lines += ["", *bring]
    lines += ["", _("<b>History</b>")]
    room = MESSAGE_LIMIT - telegram_length("\n".join(lines)) - 1
    lines += history_lines(application.history, settings.tz, room)
    return "\n".join(lines)


def over_text(application: Application) -> str:
    return _("Admission {year} is over: the application can no longer be changed.").format(
        year=application.campaign_year
    )


def application_keyboard(
    application: Application, catalog: Catalog, today: date
) -> InlineKeyboardBuilder:
    builder = InlineKeyboardBuilder()
    if catalog.accepts_changes(application.campaign_year, today):
        if application.status == "needs_correction":
            builder.button(
                text=_("📤 Send for review"), callback_data=MyAppCb(action=MyAppAction.send_review)
            )
        if application.status not in ("withdrawn", "rejected", "enrolled"):
            builder.button(
                text=_("📎 Add a document"), callback_data=MyAppCb(action=MyAppAction.add_doc)
            )
        if application.status in EDITABLE_STATUSES:
            builder.button(
                text=_("✏️ Change answers"), callback_data=MyAppCb(action=MyAppAction.edit)
            )
        if application.status in WITHDRAWABLE_STATUSES:
            builder.button(text=_("↩️ Withdraw"), callback_data=MyAppCb(action=MyAppAction.withdraw))
        if application.status == "withdrawn":
            builder.button(
                text=_("🔁 Submit again"), callback_data=MyAppCb(action=MyAppAction.resubmit)
            )
    builder.button(text=_("🗑 Delete my data"), callback_data=MyAppCb(action=MyAppAction.delete))
    builder.button(text=_("🔄 Refresh"), callback_data=MyAppCb(action=MyAppAction.show))
    home_button_row(builder)
    builder.adjust(1)
    return builder


async def show_application(
    target: Message | CallbackQuery,
    applications: ApplicationRepository,
    catalog: Catalog,
    settings: Settings,
    clock: Clock,
    *,
    notice: str | None = None,
) -> None:
    assert target.from_user is not None
    application = await applications.for_user(target.from_user.id)
    if application is None:
        await show(target, _("You have no application yet."), main_menu_keyboard())
        return
    today = clock.today()
    text = await application_text(application, applications, catalog, settings, today, notice)
    await show(target, text, application_keyboard(application, catalog, today).as_markup())


async def changeable(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    applications: ApplicationRepository,
    catalog: Catalog,
    clock: Clock,
) -> Application | None:
    """The user's application if its campaign still takes changes, else ``None`` after saying
    why."""
    application = await applications.for_user(callback.from_user.id)
    if application is None:
        alert(callback_answer, _("You have no application."))
        return None
    if not catalog.accepts_changes(application.campaign_year, clock.today()):
        alert(callback_answer, over_text(application))
        return None
    return application


def staff_status_notices(settings: Settings, event: str) -> list[Notice]:
    """The staff's news of the applicant's own change. It waits ``STAFF_EVENT_DELAY`` and takes
    in the changes that follow meanwhile: a burst of changes is one message, not one each."""
    return [
        Notice(
            chat_id=chat_id,
            kind="staff_event",
            key=f"staff-event:{{application_id}}:{{history_id}}:{chat_id}",
            payload={"event": event},
            delay=STAFF_EVENT_DELAY,
            merge=True,
        )
        for chat_id in settings.staff_chats
    ]


def staff_change_notices(settings: Settings, application: Application) -> list[Notice]:
    """The staff's notice of what the applicant changed (old → new, documents added), so that
    their copy is never stale: a burst of changes is one message. While a correction is in
    progress none: the changes are reported together at «Send for review»."""
    if application.status == "needs_correction":
        return []
    return [
        Notice(
            chat_id=chat_id,
            kind="staff_changes",
            key=f"staff-changes:{{application_id}}:{{change_id}}:{chat_id}",
            payload={"event": "changed"},
            delay=STAFF_EVENT_DELAY,
            merge=True,
        )
        for chat_id in settings.staff_chats
    ]


def staff_corrected_notices(settings: Settings) -> list[Notice]:
    """«Send for review»: one notice with every change made for the correction, at once."""
    return [
        Notice(
            chat_id=chat_id,
            kind="staff_changes",
            key=f"staff-corrected:{{application_id}}:{{history_id}}:{chat_id}",
            payload={"event": "corrected"},
            delay=timedelta(0),
        )
        for chat_id in settings.staff_chats
    ]


def follow_up(application: Application) -> str:
    """After a change to a submitted application: what becomes of it."""
    if application.status == "needs_correction":
        return _(
            "When everything the admission office asked for is corrected, press "
            "«📤 Send for review»."
        )
    return _("The admission office will see the changes.")

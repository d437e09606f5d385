"""Notices of the campaign's closing steps, rendered when sent in the recipient's language: an
applicant's place in a published ranking list, an order issued without them (what remains
possible), and the staff's daily digest. From ids: a row whose application is gone, or no
longer concerned, renders to nothing."""

from __future__ import annotations

from datetime import date

from aiogram.methods import SendMessage
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.catalog import Catalog
from bot.domain.closing import places_left
from db.applications import Application
from db.closing import ClosingRepository
from db.outbox import OutboxMessage
from handlers.application_texts import specialty_line
from handlers.callbacks import MyAppAction, MyAppCb, RankingCb
from handlers.texts.ranking import places_text
from handlers.ui import ask_button, current_language, fmt_date, fmt_number, h


async def ranking_notice(
    message: OutboxMessage, application: Application, closing: ClosingRepository, catalog: Catalog
) -> SendMessage | None:
    """The applicant's place in the ranking list just published, and the budget line."""
    code, year = str(message.payload["code"]), int(message.payload["year"])
    publication = await closing.publication(year, code)
    if publication is None:
        return None
    mine = next((p for p in publication.places if p.application_id == application.id), None)
    if mine is None:  # no longer in the list (withdrawn, rejected since)
        return None
    specialty = catalog.specialty(code)
    places = specialty.budget_places if specialty else None
    lines = [
        _("📋 Application {number}: the ranking list of {specialty} is published.").format(
            number=fmt_number(application.number), specialty=specialty_line(catalog, code)
        ),
        _("Your place: {place} of {total}. State-funded places: {places}.").format(
            place=mine.place, total=len(publication.places), places=places_text(places)
        ),
    ]
    if places is not None:
        lines.append(
            _("Your place is within the state-funded places.")
            if mine.place <= places
            else _("Your place is below the state-funded places line.")
        )
    if not application.original_received:
        lines.append(
            _("Bring the original of your education certificate to the college: without it you "
              "cannot be enrolled.")
        )  # fmt: skip
    lines.append(
        _("The list changes until the enrolment order: when your place changes, you are told.")
    )
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📋 The whole list"), callback_data=RankingCb(code=code))
    builder.button(text=_("📄 My application"), callback_data=MyAppCb(action=MyAppAction.show))
    builder.adjust(1)
    return SendMessage(
        chat_id=message.chat_id, text="\n".join(lines), reply_markup=builder.as_markup()
    )


async def order_notice(
    message: OutboxMessage, application: Application, closing: ClosingRepository, catalog: Catalog
) -> SendMessage | None:
    """An order issued for a specialty the applicant chose, without them: the places left in
    other specialties, until when applications are accepted, the committee's questions."""
    if application.status == "enrolled":  # enrolled elsewhere since
        return None
    code, year = str(message.payload["code"]), int(message.payload["year"])
    enrolled = await closing.enrolled_counts(year)
    left = []
    for specialty in catalog.specialties:
        free = places_left(specialty.budget_places, enrolled.get(specialty.code, 0))
        if specialty.code != code and free:
            left.append(f"{specialty_line(catalog, specialty.code)} ({free})")
    lines = [
        _("📬 Application {number}: the enrolment order for {specialty} is issued, and you are "
          "not in it.").format(
            number=fmt_number(application.number), specialty=specialty_line(catalog, code)
        ),
        "",
        _("What remains possible:"),
    ]  # fmt: skip
    if left:
        lines.append(_("• state-funded places are left in: {specialties}").format(
            specialties="; ".join(left)
        ))  # fmt: skip
    else:
        lines.append(
            _("• which specialties still have places is being confirmed: ask the admission "
              "office")
        )  # fmt: skip
    campaign = catalog.campaign(year)
    if campaign is not None and campaign.extra_acceptance_end is not None:
        lines.append(
            _("• where places remain, applications are accepted until {date}").format(
                date=fmt_date(campaign.extra_acceptance_end)
            )
        )
    lines.append(_("• ask the admission office anything: the button below"))
    builder = InlineKeyboardBuilder()
    ask_button(builder)
    builder.button(text=_("📄 My application"), callback_data=MyAppCb(action=MyAppAction.show))
    builder.adjust(1)
    return SendMessage(
        chat_id=message.chat_id, text="\n".join(lines), reply_markup=builder.as_markup()
    )


def digest_text(message: OutboxMessage, catalog: Catalog) -> str:
    """The staff's morning digest: counts only, for every college or for one."""
    p = message.payload
    college = catalog.college(str(p.get("college") or ""))
    scope = h(college.short_name.get(current_language())) if college else _("all colleges")
    day = fmt_date(date.fromisoformat(str(p["day"])))
    return "\n".join(
        [
            _("☀️ <b>Digest for {day}</b> ({scope})").format(day=day, scope=scope),
            _("🆕 New applications in the last 24 hours: {count}").format(count=p["new"]),
            _("✏️ Corrections waiting more than 2 days: {count}").format(count=p["corrections"]),
            _("❓ Questions waiting more than a day: {count}").format(count=p["questions"]),
            _("📜 Originals received in the last 24 hours: {count}").format(count=p["originals"]),
            "",
            _("/staff: the queues and the questions"),
        ]
    )

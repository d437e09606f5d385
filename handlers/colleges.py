"""Colleges: the three colleges, their contacts and the specialties each teaches."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.catalog import Catalog, College
from handlers.callbacks import CollegeCb, MenuCb, Section, SpecCardCb, SpecListCb
from handlers.catalog_texts import choice_label, unconfirmed_legend
from handlers.ui import alert, current_language, h, home_button_row, show, unknown


def college_text(college: College, catalog: Catalog) -> str:
    lang = current_language()
    lines = [
        f"<b>{h(college.name.get(lang))}</b>",
        _("📍 City: {city}").format(city=h(college.city.get(lang))),
        _("🏠 Address: {address}").format(
            address=h(college.address) if college.address else unknown()
        ),
    ]
    if college.phone:
        lines.append(_("☎️ Phone: {phone}").format(phone=h(college.phone)))
    if college.email:
        lines.append(_("✉️ E-mail: {email}").format(email=h(college.email)))
    if college.website:
        lines.append(_("🌐 Website: {url}").format(url=h(college.website)))
    if not (college.phone or college.email or college.website):
        lines.append(_("☎️ Contacts: {value}").format(value=unknown()))
    found = catalog.browse(college.id)
    lines.append("")
    if found.matches:
        lines.append(_("<b>Specialties taught here:</b>"))
    else:
        lines.append(_("The list of specialties taught here is being confirmed."))
    if found.unknown:
        # Not «nothing here»: where these are taught is not known yet.
        lines.append(
            ngettext(
                "Where {count} specialty of the cluster is taught is being confirmed: see «🎓 "
                "All its specialties».",
                "Where {count} specialties of the cluster are taught is being confirmed: see "
                "«🎓 All its specialties».",
                len(found.unknown),
            ).format(count=len(found.unknown))
        )
    unconfirmed = sum(1 for s in found.matches if not s.confirmed)
    if unconfirmed:
        lines.append(unconfirmed_legend(unconfirmed))
    return "\n".join(lines)


def college_screen(college: College, catalog: Catalog) -> tuple[str, InlineKeyboardMarkup]:
    """The card of a college with the way to its specialties (also what its link opens)."""
    builder = InlineKeyboardBuilder()
    found = catalog.browse(college.id)
    for specialty in found.matches:
        builder.button(
            text=choice_label(specialty),
            callback_data=SpecCardCb(code=specialty.code, college=college.id),
        )
    if found.all:
        builder.button(
            text=_("🎓 All its specialties"), callback_data=SpecListCb(college=college.id)
        )
    builder.button(text=_("⬅️ Colleges"), callback_data=MenuCb(to=Section.colleges))
    home_button_row(builder)
    builder.adjust(1)
    return college_text(college, catalog), builder.as_markup()


def colleges_screen(catalog: Catalog) -> tuple[str, InlineKeyboardMarkup]:
    lang = current_language()
    builder = InlineKeyboardBuilder()
    lines = [_("<b>Colleges of the cluster</b>"), ""]
    for college in catalog.colleges:
        lines.append(f"• {h(college.name.get(lang))} ({h(college.city.get(lang))})")
        builder.button(text=college.short_name.get(lang), callback_data=CollegeCb(id=college.id))
    home_button_row(builder)
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(MenuCb.filter(F.to == Section.colleges))
    async def colleges(callback: CallbackQuery, catalog: Catalog) -> None:
        await show(callback, *colleges_screen(catalog))

    @router.callback_query(CollegeCb.filter())
    async def college_card(
        callback: CallbackQuery,
        callback_data: CollegeCb,
        callback_answer: CallbackAnswer,
        catalog: Catalog,
    ) -> None:
        college = catalog.college(callback_data.id)
        if college is None:
            alert(callback_answer, _("This college is no longer in the list."))
            return
        await show(callback, *college_screen(college, catalog))

    return router

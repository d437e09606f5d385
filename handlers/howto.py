"""How to apply: documents, this year's dates, ranking by average score, Gosuslugi."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.domain.catalog import Campaign, Catalog
from handlers.callbacks import MenuCb, Section
from handlers.ui import ask_button, current_language, fmt_date, h, home_button_row, show


def gosuslugi_text(campaign: Campaign) -> str:
    if campaign.gosuslugi_pilot is None:
        return _(
            "Whether you can apply on Gosuslugi in {year} (the pilot «Поступление в СПО онлайн») "
            "is being confirmed. You can always apply at the college."
        ).format(year=campaign.year)
    if campaign.gosuslugi_pilot:
        return _(
            "In {year}, Красноярский край takes part in the pilot «Поступление в СПО онлайн»: "
            "you can apply on Gosuslugi without bringing paper copies. This bot helps with "
            "questions either way."
        ).format(year=campaign.year)
    return _("In {year}, applications are not accepted on Gosuslugi: apply at the college.").format(
        year=campaign.year
    )


def closed_text() -> str:
    """What an applicant reads when every campaign in the catalogue is over."""
    return _(
        "Admission is closed: the dates of the next admission are not announced yet, so "
        "applications are not accepted now. You can ask the admission committee a question."
    )


def howto_text(catalog: Catalog, clock: Clock) -> str:
    lang = current_language()
    campaign = catalog.campaign_for(clock.today())
    if campaign is None:
        lines = [_("<b>Admission</b>"), "", closed_text()]
        lines += documents_and_ranking(catalog, lang)
        return "\n".join(lines)
    lines = [_("<b>Admission {year}</b>").format(year=campaign.year), "", *dates_lines(campaign)]
    lines += documents_and_ranking(catalog, lang)
    lines += ["", _("<b>Gosuslugi</b>"), gosuslugi_text(campaign)]
    return "\n".join(lines)


def dates_lines(campaign: Campaign) -> list[str]:
    lines = [
        _("<b>Dates</b>"),
        (
            _("• Documents are accepted from {start} to {end}.")
            if campaign.acceptance_start_exact
            # The rules set only the latest day acceptance may start.
            else _(
                "• Acceptance of documents starts no later than {start} (the college may "
                "start earlier) and runs until {end}."
            )
        ).format(start=fmt_date(campaign.acceptance_start), end=fmt_date(campaign.acceptance_end)),
        _("• For specialties with entrance tests: until {date}.").format(
            date=fmt_date(campaign.acceptance_end_with_tests)
        ),
    ]
    if campaign.extra_acceptance_end:
        lines.append(
            _("• If budget places remain, until {date}.").format(
                date=fmt_date(campaign.extra_acceptance_end)
            )
        )
    lines.append(
        _("• The original certificate is needed by {date}.").format(
            date=fmt_date(campaign.originals_deadline)
        )
    )
    if campaign.enrollment_order:
        lines.append(
            _("• The enrollment order is published on {date}.").format(
                date=fmt_date(campaign.enrollment_order)
            )
        )
    else:
        lines.append(_("• The enrollment order follows; its date is being confirmed."))
    if not campaign.confirmed:
        lines.append(_("<i>Dates follow the admission rules; the colleges will confirm them.</i>"))
    return lines


def documents_lines(catalog: Catalog, lang: str) -> list[str]:
    if not catalog.documents:
        return []
    return [_("<b>Documents</b>"), *(f"• {h(item.get(lang))}" for item in catalog.documents)]


def ranking_lines() -> list[str]:
    return [
        _("<b>How places are given</b>"),
        _(
            "When applicants outnumber budget places, they are ranked by the average score of "
            "the school certificate. ОГЭ and ЕГЭ results do not count. Admission is free, and "
            "you may apply to several colleges."
        ),
    ]


def documents_and_ranking(catalog: Catalog, lang: str) -> list[str]:
    documents = documents_lines(catalog, lang)
    return (["", *documents] if documents else []) + ["", *ranking_lines()]


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(MenuCb.filter(F.to == Section.howto))
    async def howto(callback: CallbackQuery, catalog: Catalog, clock: Clock) -> None:
        builder = InlineKeyboardBuilder()
        builder.button(text=_("🎓 Specialties"), callback_data=MenuCb(to=Section.specialties))
        if catalog.campaign_for(clock.today()) is None:
            ask_button(builder)
        else:
            builder.button(text=_("📝 Apply"), callback_data=MenuCb(to=Section.apply))
        home_button_row(builder)
        builder.adjust(2, 1)
        await show(callback, howto_text(catalog, clock), builder.as_markup())

    return router

"""How to apply: a short overview with where the admission stands today, and one short screen
per topic (dates, documents, ranking, Gosuslugi, the medical certificate), each under a phone
screen. Every date comes from the campaign calendar and the clock (``bot.domain.admission``)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.domain.admission import Admission, Phase, admission_on
from bot.domain.catalog import Campaign, Catalog
from handlers.callbacks import HowtoCb, HowtoPage, MenuCb, Section
from handlers.ui import ask_button, current_language, fmt_date, h, home_button_row, show


def gosuslugi_text(campaign: Campaign) -> str:
    if campaign.gosuslugi_pilot is None:
        return _(
            "Whether you can apply on Gosuslugi in {year} (the pilot “Admission to vocational "
            "colleges online”) is being confirmed. You can always apply at the college."
        ).format(year=campaign.year)
    if campaign.gosuslugi_pilot:
        return _(
            "In {year}, Krasnoyarsk Krai takes part in the pilot “Admission to vocational "
            "colleges online”: you can apply on Gosuslugi without bringing paper copies. This "
            "bot helps with questions either way."
        ).format(year=campaign.year)
    return _("In {year}, applications are not accepted on Gosuslugi: apply at the college.").format(
        year=campaign.year
    )


def closed_text() -> str:
    """What an applicant reads when every campaign in the catalogue is over."""
    return _(
        "Admission is closed: the dates of the next admission are not announced yet, so "
        "applications are not accepted now. You can ask the admission office a question."
    )


def start_line(campaign: Campaign) -> str:
    """When acceptance starts: the college's own date, or the latest day the rules allow."""
    if campaign.acceptance_start_exact:
        return _("Admission {year}: documents are accepted from {start} to {end}.").format(
            year=campaign.year,
            start=fmt_date(campaign.acceptance_start),
            end=fmt_date(campaign.acceptance_end),
        )
    return _(
        "Admission {year} starts no later than {start} (a college may start earlier) and runs "
        "until {end}."
    ).format(
        year=campaign.year,
        start=fmt_date(campaign.acceptance_start),
        end=fmt_date(campaign.acceptance_end),
    )


def next_admission_line(admission: Admission) -> str:
    following = admission.following
    if following is None:
        return _("The dates of the next admission are not announced yet.")
    if following.acceptance_start_exact:
        return _("The next admission, {year}, opens on {start}.").format(
            year=following.year, start=fmt_date(following.acceptance_start)
        )
    return _("The next admission, {year}, opens no later than {start}.").format(
        year=following.year, start=fmt_date(following.acceptance_start)
    )


def admission_lines(admission: Admission) -> list[str]:
    """Where the admission stands today, in one to three short sentences."""
    campaign = admission.campaign
    if campaign is None:
        return [closed_text()]
    end = fmt_date(campaign.acceptance_end)
    if admission.phase is Phase.upcoming:
        return [start_line(campaign)]
    if admission.phase is Phase.open:
        return [
            _("Admission {year} is open: documents are accepted until {end}.").format(
                year=campaign.year, end=end
            )
        ]
    if admission.phase is Phase.extra:
        assert campaign.extra_acceptance_end is not None
        return [
            _("The main admission {year} ended on {end}.").format(year=campaign.year, end=end),
            _(
                "Where state-funded places remain, documents are still accepted until {date}: "
                "you can apply for them."
            ).format(date=fmt_date(campaign.extra_acceptance_end)),
            next_admission_line(admission),
        ]
    return [
        _("Admission {year} is over: documents were accepted until {end}.").format(
            year=campaign.year, end=end
        ),
        next_admission_line(admission),
    ]


def dates_lines(campaign: Campaign) -> list[str]:
    lines = [
        _("<b>Dates of admission {year}</b>").format(year=campaign.year),
        "• " + start_line(campaign),
        _("• For specialties with entrance tests: until {date}.").format(
            date=fmt_date(campaign.acceptance_end_with_tests)
        ),
    ]
    if campaign.extra_acceptance_end:
        lines.append(
            _("• If state-funded places remain: until {date}.").format(
                date=fmt_date(campaign.extra_acceptance_end)
            )
        )
    lines.append(
        _("• The original certificate: by {date}.").format(
            date=fmt_date(campaign.originals_deadline)
        )
    )
    if campaign.enrollment_order:
        lines.append(
            _("• The enrolment order: {date}.").format(date=fmt_date(campaign.enrollment_order))
        )
    else:
        lines.append(_("• The enrolment order follows; its date is being confirmed."))
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
            "When applicants outnumber state-funded places, they are ranked by the average score "
            "of the school certificate. State exam results (OGE and EGE) do not count."
        ),
        _("Admission is free, and you may apply to several colleges."),
    ]


def medical_lines(catalog: Catalog, admission: Admission) -> list[str]:
    lang = current_language()
    needed = [s for s in catalog.specialties if s.medical_certificate]
    unknown = sum(1 for s in catalog.specialties if s.medical_certificate is None)
    lines = [
        _("<b>Medical certificate</b>"),
        _(
            "Some specialties need a medical certificate (form 086/u): the work there requires "
            "a medical examination. You get it at your clinic."
        ),
    ]
    if needed:
        lines.append(_("It is needed for:"))
        lines += [f"• {s.code} {h(s.short_name.get(lang))}" for s in needed]
    if unknown:
        lines.append(
            ngettext(
                "For {count} more specialty it is being confirmed.",
                "For {count} more specialties it is being confirmed.",
                unknown,
            ).format(count=unknown)
        )
    if admission.campaign is not None:
        lines.append(
            _("Bring it to the college by {date}.").format(
                date=fmt_date(admission.campaign.originals_deadline)
            )
        )
    return lines


def overview_text(catalog: Catalog, clock: Clock) -> str:
    admission = admission_on(catalog, clock.today())
    title = (
        _("<b>Admission {year}</b>").format(year=admission.campaign.year)
        if admission.campaign
        else _("<b>Admission</b>")
    )
    lines = [title, "", *admission_lines(admission), ""]
    lines += [
        _("<b>How it goes</b>"),
        _("1. Choose up to three specialties."),
        _("2. Apply here, on Gosuslugi or at the college, and send your documents."),
        _("3. Follow your place in the ranking by the average score."),
        _("4. Bring the original certificate, and you are enrolled."),
        "",
        _("More on each step below."),
    ]
    return "\n".join(lines)


def page_text(page: HowtoPage, catalog: Catalog, clock: Clock) -> str:
    """One topic of «How to apply»; the overview for ``HowtoPage.overview``."""
    admission = admission_on(catalog, clock.today())
    campaign = admission.campaign
    if page is HowtoPage.documents and catalog.documents:
        return "\n".join(documents_lines(catalog, current_language()))
    if page is HowtoPage.ranking:
        return "\n".join(ranking_lines())
    if page is HowtoPage.medical:
        return "\n".join(medical_lines(catalog, admission))
    if page is HowtoPage.dates:
        return "\n".join(dates_lines(campaign) if campaign else [closed_text()])
    if page is HowtoPage.gosuslugi:
        return "\n".join(
            [_("<b>Gosuslugi</b>"), gosuslugi_text(campaign) if campaign else closed_text()]
        )
    return overview_text(catalog, clock)


def page_keyboard(page: HowtoPage, catalog: Catalog, clock: Clock) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if page is HowtoPage.overview:
        topics = [
            (_("📅 Dates"), HowtoPage.dates),
            (_("📄 Documents"), HowtoPage.documents),
            (_("🏆 How places are given"), HowtoPage.ranking),
            (_("🏛 Gosuslugi"), HowtoPage.gosuslugi),
            (_("🩺 Medical certificate"), HowtoPage.medical),
        ]
        for label, topic in topics:
            builder.button(text=label, callback_data=HowtoCb(page=topic))
        builder.button(text=_("🎓 Specialties"), callback_data=MenuCb(to=Section.specialties))
    else:
        builder.button(text=_("⬅️ How to apply"), callback_data=MenuCb(to=Section.howto))
    if catalog.campaign_for(clock.today()) is None:
        ask_button(builder)
    else:
        builder.button(text=_("📝 Apply"), callback_data=MenuCb(to=Section.apply))
    home_button_row(builder)
    if page is HowtoPage.overview:
        builder.adjust(2, 2, 2, 2, 1)
    else:
        builder.adjust(2, 1)
    return builder.as_markup()


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(MenuCb.filter(F.to == Section.howto))
    async def howto(callback: CallbackQuery, catalog: Catalog, clock: Clock) -> None:
        page = HowtoPage.overview
        await show(callback, page_text(page, catalog, clock), page_keyboard(page, catalog, clock))

    @router.callback_query(HowtoCb.filter())
    async def topic(
        callback: CallbackQuery, callback_data: HowtoCb, catalog: Catalog, clock: Clock
    ) -> None:
        page = callback_data.page
        await show(callback, page_text(page, catalog, clock), page_keyboard(page, catalog, clock))

    return router

"""A ranking list as the committee published it to the applicants (the button under the notice
of one's place): application numbers, scores, the originals received and the budget line, the
reader's own line marked. Numbers, never names: the way colleges publish the lists."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog
from db.applications import ApplicationRepository
from db.closing import ClosingRepository
from handlers.application_texts import specialty_line
from handlers.callbacks import MyAppAction, MyAppCb, RankingCb
from handlers.texts.ranking import places_text, ranking_messages
from handlers.ui import alert, fmt_date, home_button_row


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(RankingCb.filter())
    async def published(
        callback: CallbackQuery,
        callback_data: RankingCb,
        callback_answer: CallbackAnswer,
        bot: Bot,
        applications: ApplicationRepository,
        closing: ClosingRepository,
        catalog: Catalog,
        clock: Clock,
        settings: Settings,
    ) -> None:
        mine = await applications.for_user(callback.from_user.id)
        year = mine.campaign_year if mine else catalog.recent_campaign(clock.today()).year
        code = callback_data.code
        publication = await closing.publication(year, code)
        if publication is None:
            alert(callback_answer, _("This ranking list is not published yet."))
            return
        specialty = catalog.specialty(code)
        places = specialty.budget_places if specialty else None
        local = publication.published_at.astimezone(settings.tz)
        heading = [
            _("<b>Ranking list: {specialty}</b>").format(specialty=specialty_line(catalog, code)),
            _("Admission {year}, published {date} at {time}.").format(
                year=year, date=fmt_date(local.date()), time=f"{local:%H:%M}"
            ),
            ngettext(
                "{count} applicant; state-funded places: {places}.",
                "{count} applicants; state-funded places: {places}.",
                len(publication.places),
            ).format(count=len(publication.places), places=places_text(places)),
        ]
        note = _("… the list is cut here: ask the admission office for the rest.")
        chunks = ranking_messages(
            heading, publication.places, places, note, mine.id if mine else None
        )
        builder = InlineKeyboardBuilder()
        if mine is not None:
            builder.button(
                text=_("📄 My application"), callback_data=MyAppCb(action=MyAppAction.show)
            )
        home_button_row(builder)
        builder.adjust(1)
        for i, text in enumerate(chunks, start=1):
            markup = builder.as_markup() if i == len(chunks) else None
            await bot.send_message(callback.from_user.id, text, reply_markup=markup)

    return router

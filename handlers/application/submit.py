"""Submit: a new application (with its files and the staff's notices), or the changes to a
submitted one; a second press says it is done. The application is stored before any reply."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog
from db.applications import ApplicationRepository, Notice
from handlers.application.draft_store import DraftStore, end_form
from handlers.application.flow import go
from handlers.application.screens import closed_screen
from handlers.application.steps import missing_answer
from handlers.callbacks import FormAction, FormCb
from handlers.consent import CONSENT_FLAG
from handlers.my_application.screen import back_to_review_if_corrected, show_application
from handlers.states import Apply
from handlers.ui import show, stale

log = logging.getLogger(__name__)


def staff_notices(settings: Settings) -> list[Notice]:
    return [
        Notice(
            chat_id=chat_id,
            kind="staff_application",
            key=f"staff:{{application_id}}:{chat_id}",
            payload={},
        )
        for chat_id in settings.staff_chats
    ]


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(FormCb.filter(F.action == FormAction.submit), flags={CONSENT_FLAG: True})
    async def submit(
        callback: CallbackQuery,
        state: FSMContext,
        raw_state: str | None,
        catalog: Catalog,
        clock: Clock,
        settings: Settings,
        applications: ApplicationRepository,
    ) -> None:
        if raw_state != Apply.review.state:
            # A second click on Submit, a replayed button: the first one did the work.
            if await applications.id_for_user(callback.from_user.id) is not None:
                await callback.answer(_("Your application has already been submitted."))
            else:
                await stale(callback)
            return
        draft = await DraftStore(state).load()
        missing = missing_answer(draft, catalog)
        if missing is not None:
            await callback.answer()
            notice = _("One answer is missing: please answer this question.")
            await go(callback, state, missing, draft, catalog, notice=notice)
            return
        data = draft.application_data()
        now = clock.now()
        if draft.application_id is not None:
            edited = await applications.get(draft.application_id)
            if edited is None or edited.user_id != callback.from_user.id:
                await end_form(state)
                await stale(callback)
                return
            if not catalog.accepts_changes(edited.campaign_year, clock.today()):
                await end_form(state)
                await callback.answer(
                    _("Admission {year} is over: the application can no longer be changed.")
                    .format(year=edited.campaign_year),
                    show_alert=True,
                )  # fmt: skip
                await show_application(callback, applications, catalog, settings, clock)
                return
            await applications.update_data(edited.id, data, now)
            await back_to_review_if_corrected(edited, settings, applications, clock)
            await end_form(state)
            await callback.answer(_("Changes saved."))
            await show_application(callback, applications, catalog, settings, clock)
            return
        campaign = catalog.campaign_for(clock.today())
        if campaign is None:
            # Every campaign in the catalogue is over: storing it would put it under a
            # campaign whose data is due for erasure. The draft goes too.
            await end_form(state)
            await callback.answer()
            text, markup = closed_screen()
            await show(callback, _("Your answers were not saved.") + "\n\n" + text, markup)
            return
        application_id, created = await applications.submit(
            user_id=callback.from_user.id,
            campaign_year=campaign.year,
            data=data,
            documents=draft.document_refs(),
            now=now,
            notices=staff_notices(settings),
        )
        await end_form(state)  # the answers now live in the application, not in the dialogue
        if created:
            log.info("application %s submitted by user %s", application_id, callback.from_user.id)
        await callback.answer(_("Submitted!") if created else _("Already submitted."))
        await show_application(
            callback,
            applications,
            catalog,
            settings,
            clock,
            notice=_("✅ Your application is submitted. The admission committee will check it.")
            if created
            else None,
        )

    return router

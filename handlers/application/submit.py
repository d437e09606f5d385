"""Submit: a new application (with its files and the staff's notices), or the changes to a
submitted one; a second press says it is done. The application is stored before any reply."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.config import Settings
from bot.domain.applications import data_changes
from bot.domain.catalog import Catalog
from db.applications import ApplicationRepository, Notice
from handlers.application.draft_store import DraftStore, end_form
from handlers.application.flow import go
from handlers.application.screens import closed_screen
from handlers.application.steps import missing_answer
from handlers.callbacks import FormAction, FormCb
from handlers.consent import CONSENT_FLAG
from handlers.my_application.screen import (
    follow_up,
    next_steps_lines,
    over_text,
    show_application,
    staff_change_notices,
)
from handlers.states import Apply
from handlers.ui import alert, show, stale

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
        callback_answer: CallbackAnswer,
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
                callback_answer.text = _("Your application has already been submitted.")
            else:
                await stale(callback, callback_answer)
            return
        draft = await DraftStore(state).load()
        missing = missing_answer(draft, catalog)
        if missing is not None:
            notice = _("One answer is missing: please answer this question.")
            await go(callback, state, missing, draft, catalog, notice=notice)
            return
        data = draft.application_data()
        now = clock.now()
        if draft.application_id is not None:
            edited = await applications.get(draft.application_id)
            if edited is None or edited.user_id != callback.from_user.id:
                await end_form(state)
                await stale(callback, callback_answer)
                return
            if not catalog.accepts_changes(edited.campaign_year, clock.today()):
                await end_form(state)
                alert(callback_answer, over_text(edited))
                await show_application(callback, applications, catalog, settings, clock)
                return
            # What changed is kept, and the staff told of it (after a correction: once it is
            # sent for review), so their copy is never stale.
            changes = data_changes(edited.data, data)
            await applications.update_data(
                edited.id,
                data,
                now,
                changes=changes,
                notices=staff_change_notices(settings, edited),
            )
            await end_form(state)
            notice = (
                _("✅ Saved.") + " " + follow_up(edited) if changes else _("Nothing was changed.")
            )
            await show_application(callback, applications, catalog, settings, clock, notice=notice)
            return
        campaign = catalog.campaign_for(clock.today())
        if campaign is None:
            # Every campaign in the catalogue is over: storing it would put it under a
            # campaign whose data is due for erasure. The draft goes too.
            await end_form(state)
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
        if not created:
            callback_answer.text = _("Already submitted.")
            await show_application(callback, applications, catalog, settings, clock)
            return
        log.info("application %s submitted by user %s", application_id, callback.from_user.id)
        application = await applications.get(application_id)
        assert application is not None
        notice = "\n".join(
            [
                _("✅ <b>Your application is submitted.</b>"),
                "",
                *next_steps_lines(application, catalog),
            ]
        )
        await show_application(callback, applications, catalog, settings, clock, notice=notice)

    return router

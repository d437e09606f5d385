"""Into the form and around it: «Apply» (consent, closed admission, an unfinished draft),
continue or start over, Back, Cancel, changing one answer from the review."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

import bot.domain.applications as rules
from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog
from db.applications import ApplicationRepository, ConsentRepository
from handlers.application.draft_store import DraftStore, end_form
from handlers.application.flow import documents_from, go, go_back, resume_point, start_form
from handlers.application.screens import cancel_question, closed_screen
from handlers.application.steps import BY_NAME, DOCUMENTS, ORDER, step_of
from handlers.callbacks import ApplyCb, FormAction, FormCb, MenuCb, Section
from handlers.consent import CONSENT_FLAG, ask_consent
from handlers.my_application.screen import show_application
from handlers.start import main_menu_text
from handlers.states import Apply
from handlers.ui import home_button_row, main_menu_keyboard, show, stale


def get_router() -> Router:
    router = Router(name=__name__)
    gated = {CONSENT_FLAG: True}

    @router.callback_query(MenuCb.filter(F.to == Section.apply))
    @router.callback_query(ApplyCb.filter())
    async def apply(
        callback: CallbackQuery,
        callback_data: MenuCb | ApplyCb,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        catalog: Catalog,
        clock: Clock,
        settings: Settings,
        applications: ApplicationRepository,
        consents: ConsentRepository,
        consent_given: bool = False,
    ) -> None:
        """«Apply» (in the menu, or on a specialty's card): the application if there is one;
        else the consent if it is not the current one; else an unfinished draft to continue,
        or the form's first question."""
        user_id = callback.from_user.id
        if await applications.id_for_user(user_id) is not None:
            await show_application(callback, applications, catalog, settings, clock)
            callback_answer.text = _("You have already applied: here is your application.")
            return
        if catalog.campaign_for(clock.today()) is None:
            await show(callback, *closed_screen())
            return
        consent = await consents.current(user_id)
        drafts = DraftStore(state)
        draft = await drafts.load()
        if not rules.consent_is_current(consent, catalog):
            if draft.is_blank():
                await state.set_state(Apply.consent)
            await ask_consent(
                callback,
                state,
                catalog,
                clock,
                settings,
                resume=callback.data,  # after «I agree», this press again: on to the form
                renewed=consent is not None,
            )
        elif not draft.is_blank():
            builder = InlineKeyboardBuilder()
            builder.button(text=_("▶️ Continue"), callback_data=FormCb(action=FormAction.resume))
            builder.button(text=_("🔄 Start over"), callback_data=FormCb(action=FormAction.restart))
            home_button_row(builder)
            builder.adjust(2, 1)
            await show(
                callback,
                _("You have an unfinished application. Continue where you stopped?"),
                builder.as_markup(),
            )
        else:
            preselect = callback_data.code if isinstance(callback_data, ApplyCb) else ""
            await start_form(callback, state, drafts, catalog, preselect)
        if consent_given:
            callback_answer.text = _("Thank you, your consent is saved.")

    @router.callback_query(
        FormCb.filter(F.action.in_({FormAction.resume, FormAction.restart})), flags=gated
    )
    async def resume_or_restart(
        callback: CallbackQuery,
        callback_data: FormCb,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        raw_state: str | None,
        catalog: Catalog,
    ) -> None:
        drafts = DraftStore(state)
        draft = await drafts.load()
        if draft.is_blank():
            await stale(callback, callback_answer)
            return
        if callback_data.action == FormAction.restart:
            await start_form(callback, state, drafts, catalog, draft.preselect)
        elif (step := step_of(raw_state)) is not None:
            await go(callback, state, step, draft, catalog)  # still in the form: the same step
        else:
            step, draft = resume_point(draft, catalog)
            await drafts.save(draft)
            await go(callback, state, step, draft, catalog)

    @router.callback_query(FormCb.filter(F.action == FormAction.back))
    async def back(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        raw_state: str | None,
        catalog: Catalog,
    ) -> None:
        step = step_of(raw_state)
        if step not in ORDER:
            await stale(callback, callback_answer)
            return
        assert step is not None
        drafts = DraftStore(state)
        await go_back(callback, state, drafts, step, await drafts.load(), catalog)

    @router.callback_query(FormCb.filter(F.action == FormAction.cancel))
    async def cancel_asked(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        raw_state: str | None,
    ) -> None:
        if raw_state is None:
            await stale(callback, callback_answer)
            return
        await show(callback, *cancel_question(await DraftStore(state).load()))

    @router.callback_query(FormCb.filter(F.action == FormAction.cancel_yes))
    async def cancel_confirmed(
        callback: CallbackQuery,
        state: FSMContext,
        catalog: Catalog,
        clock: Clock,
        settings: Settings,
        applications: ApplicationRepository,
    ) -> None:
        """Cancelling the form drops its answers; cancelling a change of a submitted
        application drops the change only, and says so."""
        draft = await DraftStore(state).load()
        await end_form(state)
        if draft.application_id is not None:
            notice = _("Changes discarded: your application is as it was.")
            await show_application(callback, applications, catalog, settings, clock, notice=notice)
            return
        await show(
            callback,
            _("The application is cancelled; your answers are deleted.")
            + "\n\n"
            + main_menu_text(catalog, clock),
            main_menu_keyboard(),
        )

    @router.callback_query(FormCb.filter(F.action == FormAction.cancel_no))
    async def cancel_declined(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        raw_state: str | None,
        catalog: Catalog,
    ) -> None:
        step = step_of(raw_state)
        if step is None:
            await stale(callback, callback_answer)
            return
        await go(callback, state, step, await DraftStore(state).load(), catalog)

    @router.callback_query(
        FormCb.filter(F.action == FormAction.edit), StateFilter(Apply.review), flags=gated
    )
    async def edit_field(
        callback: CallbackQuery, callback_data: FormCb, state: FSMContext, catalog: Catalog
    ) -> None:
        step = BY_NAME.get(callback_data.value)
        if step is None:
            return
        drafts = DraftStore(state)
        draft = (await drafts.load()).model_copy(update={"editing": True})
        if step is DOCUMENTS:
            draft = documents_from(draft, catalog)
        await drafts.save(draft)
        await go(callback, state, step, draft, catalog)

    return router

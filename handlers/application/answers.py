"""Answers: one handler per kind of button, and one for every typed answer (the row of the
dialogue's state parses it and words the hint); the table says what comes next."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.clock import Clock
from bot.domain.catalog import Catalog
from bot.domain.validation import Invalid
from db.applications import ConsentRepository
from handlers.application.draft_store import DraftStore
from handlers.application.flow import advance, after, button_answer, go, go_back
from handlers.application.screens import MAX_CHOICES, allowed_specialties, cancel_question
from handlers.application.steps import (
    AVERAGE_SCORE,
    BIRTH_DATE,
    BY_STATE,
    CHANNEL,
    DORMITORY,
    EDUCATION_BASE,
    EMAIL,
    PHONE,
    SPECIALTIES,
    TYPED,
    Step,
    hint_for,
    step_of,
)
from handlers.callbacks import FormAction, FormCb
from handlers.consent import CONSENT_FLAG
from handlers.states import Apply
from handlers.ui import alert, stale

CHANNELS = ("bot", "gosuslugi", "in_person")


async def take_answer(
    message: Message,
    state: FSMContext,
    step: Step,
    text: str,
    catalog: Catalog,
    clock: Clock,
    consents: ConsentRepository,
) -> None:
    """A typed answer at ``step``: the question again below the hint for what is wrong, or
    store it and go on."""
    assert step.take is not None
    drafts = DraftStore(state)
    draft = before = await drafts.load()
    try:
        taken = step.take(draft, text, clock.today())
    except Invalid as error:
        hint = hint_for(step, error)
        await go(message, state, step, draft, catalog, notice="❗ " + hint)
        return
    if taken.detour is not None:
        next_step, draft = BY_STATE[str(taken.detour.state)], taken.draft
    else:
        next_step, draft = after(step, taken.draft, catalog)
    await drafts.save(draft)
    if draft.minor is not None and draft.minor != before.minor and message.from_user:
        # Under 18 by the date of birth: the consent records that a parent's is needed too.
        await consents.set_minor(message.from_user.id, draft.minor)
    notice = taken.said
    if step.reply is not None and notice:
        # A reply keyboard (the phone's) is removed once its step is over (ReplyKeyboardGone);
        # the answer is confirmed in a message of its own, above the next question.
        await message.answer(notice)
        notice = None
    await go(message, state, next_step, draft, catalog, notice=notice)


def get_router() -> Router:
    router = Router(name=__name__)
    gated = {CONSENT_FLAG: True}

    # --- by button ----------------------------------------------------------------------

    @router.callback_query(
        FormCb.filter(F.action == FormAction.email_skip), StateFilter(Apply.email), flags=gated
    )
    async def email_skipped(callback: CallbackQuery, state: FSMContext, catalog: Catalog) -> None:
        await button_answer(callback, state, EMAIL, catalog, email="")

    @router.callback_query(
        FormCb.filter(F.action == FormAction.base), StateFilter(Apply.education_base), flags=gated
    )
    async def base_answered(
        callback: CallbackQuery, callback_data: FormCb, state: FSMContext, catalog: Catalog
    ) -> None:
        base = 11 if callback_data.value == "11" else 9
        drafts = DraftStore(state)
        draft = await drafts.load()
        allowed = set(allowed_specialties(catalog, base))
        chosen = draft.specialties
        if draft.education_base is None and not chosen and draft.preselect in allowed:
            # The first answer after «Apply» on a specialty card: that specialty comes first,
            # if this education base admits it.
            chosen = [draft.preselect]
        kept = [code for code in chosen if code in allowed]
        dropped = len(kept) != len(chosen)
        draft = draft.model_copy(update={"education_base": base, "specialties": kept})
        if dropped:
            draft = draft.model_copy(update={"editing": False})
            await drafts.save(draft)
            notice = ngettext(
                "Some chosen specialties do not admit after {base} class.",
                "Some chosen specialties do not admit after {base} classes.",
                base,
            ).format(base=base)
            await go(callback, state, SPECIALTIES, draft, catalog, notice=notice)
            return
        await advance(callback, state, drafts, EDUCATION_BASE, draft, catalog)

    @router.callback_query(
        FormCb.filter(F.action == FormAction.score_ok),
        StateFilter(Apply.score_confirm),
        flags=gated,
    )
    async def low_score_confirmed(
        callback: CallbackQuery, state: FSMContext, catalog: Catalog
    ) -> None:
        drafts = DraftStore(state)
        draft = await drafts.load()
        draft = draft.model_copy(
            update={"average_score": draft.pending_score, "pending_score": None}
        )
        await advance(callback, state, drafts, AVERAGE_SCORE, draft, catalog)

    @router.callback_query(
        FormCb.filter(F.action == FormAction.representative),
        StateFilter(Apply.representative),
        flags=gated,
    )
    async def representative_confirmed(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        catalog: Catalog,
        consents: ConsentRepository,
    ) -> None:
        """Under 14 the parent or legal representative applies: they confirm, the date of
        birth is taken and the form goes on (a parent's consent is needed, as for a minor)."""
        drafts = DraftStore(state)
        draft = await drafts.load()
        if draft.pending_birth_date is None:
            await stale(callback, callback_answer)
            return
        draft = draft.model_copy(
            update={
                "birth_date": draft.pending_birth_date,
                "pending_birth_date": None,
                "representative": True,
                "minor": True,
            }
        )
        await consents.set_minor(callback.from_user.id, True)
        await advance(callback, state, drafts, BIRTH_DATE, draft, catalog)

    @router.callback_query(
        FormCb.filter(F.action == FormAction.score_redo), StateFilter(Apply.score_confirm)
    )
    async def low_score_redo(callback: CallbackQuery, state: FSMContext, catalog: Catalog) -> None:
        await go(callback, state, AVERAGE_SCORE, await DraftStore(state).load(), catalog)

    @router.callback_query(
        FormCb.filter(F.action == FormAction.pick), StateFilter(Apply.specialties), flags=gated
    )
    async def pick(
        callback: CallbackQuery,
        callback_data: FormCb,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        catalog: Catalog,
    ) -> None:
        drafts = DraftStore(state)
        draft = await drafts.load()
        chosen = list(draft.specialties)
        code = callback_data.value
        if code not in allowed_specialties(catalog, draft.education_base):
            alert(callback_answer, _("This specialty is not available."))
            return
        if code in chosen:
            chosen.remove(code)
        elif len(chosen) >= MAX_CHOICES:
            alert(
                callback_answer,
                ngettext(
                    "At most {max} specialty. Remove it to choose another.",
                    "At most {max} specialties. Remove one to choose another.",
                    MAX_CHOICES,
                ).format(max=MAX_CHOICES),
            )
            return
        else:
            chosen.append(code)
        draft = draft.model_copy(update={"specialties": chosen})
        await drafts.save(draft)
        await go(callback, state, SPECIALTIES, draft, catalog)

    @router.callback_query(
        FormCb.filter(F.action == FormAction.picks_done),
        StateFilter(Apply.specialties),
        flags=gated,
    )
    async def picks_done(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        catalog: Catalog,
    ) -> None:
        drafts = DraftStore(state)
        draft = await drafts.load()
        if not draft.specialties:
            alert(callback_answer, _("Choose at least one specialty."))
            return
        await advance(callback, state, drafts, SPECIALTIES, draft, catalog)

    @router.callback_query(
        FormCb.filter(F.action == FormAction.dorm), StateFilter(Apply.dormitory), flags=gated
    )
    async def dormitory(
        callback: CallbackQuery, callback_data: FormCb, state: FSMContext, catalog: Catalog
    ) -> None:
        await button_answer(
            callback, state, DORMITORY, catalog, dormitory=callback_data.value == "1"
        )

    @router.callback_query(
        FormCb.filter(F.action == FormAction.channel), StateFilter(Apply.channel), flags=gated
    )
    async def channel(
        callback: CallbackQuery, callback_data: FormCb, state: FSMContext, catalog: Catalog
    ) -> None:
        if callback_data.value not in CHANNELS:
            return
        await button_answer(callback, state, CHANNEL, catalog, channel=callback_data.value)

    # --- by text ------------------------------------------------------------------------

    @router.message(StateFilter(Apply.phone), F.contact, flags=gated)
    async def phone_shared(
        message: Message,
        state: FSMContext,
        catalog: Catalog,
        clock: Clock,
        consents: ConsentRepository,
    ) -> None:
        contact = message.contact
        assert contact is not None and message.from_user is not None
        if contact.user_id != message.from_user.id:
            hint = _("This is someone else's contact. Please share your own number or type it.")
            draft = await DraftStore(state).load()
            await go(message, state, PHONE, draft, catalog, notice="❗ " + hint)
            return
        await take_answer(message, state, PHONE, contact.phone_number, catalog, clock, consents)

    @router.message(StateFilter(*(s.state for s in TYPED)), F.text, flags=gated)
    async def typed_answer(
        message: Message,
        state: FSMContext,
        raw_state: str | None,
        catalog: Catalog,
        clock: Clock,
        consents: ConsentRepository,
    ) -> None:
        step = step_of(raw_state)
        assert step is not None
        text = message.text or ""
        drafts = DraftStore(state)
        if text.startswith("/"):
            hint = _("Commands do not work inside the form. Answer the question, or /cancel.")
            await go(message, state, step, await drafts.load(), catalog, notice="❗ " + hint)
            return
        if step.reply is not None:
            # A question with a reply keyboard: its Back and Cancel arrive as text (the
            # keyboard goes once the step is over: ReplyKeyboardGone).
            if text == _("⬅️ Back"):
                await go_back(message, state, drafts, step, await drafts.load(), catalog)
                return
            if text == _("✖️ Cancel"):
                question, markup = cancel_question(await drafts.load())
                await message.answer(question, reply_markup=markup)
                return
        await take_answer(message, state, step, text, catalog, clock, consents)

    return router

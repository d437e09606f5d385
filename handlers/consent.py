"""The consent to personal-data processing (152-ФЗ): its screen, and the gate in front of every
handler that processes an applicant's data.

The consent is a separate act, stored with its version (``CONSENT_VERSION``). A handler
registered with ``flags={CONSENT_FLAG: True}`` runs only for someone whose latest consent is
of the current version; anyone else gets the consent screen instead (a new text is asked of
existing applicants too). After «I agree» the button they had pressed is pressed again for
them, so they go on where they were going; after a typed answer or a file, the question they
were at is shown again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Dispatcher, F, Router
from aiogram.dispatcher.flags import get_flag
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

import bot.domain.applications as rules
from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog
from db.applications import ApplicationRepository, ConsentRepository
from handlers.application.draft_store import end_form
from handlers.callbacks import ConsentAction, ConsentCb, MenuCb, MyAppAction, MyAppCb, Section
from handlers.catalog_texts import operator_lines
from handlers.ui import home_button_row, show, stale

CONSENT_FLAG = "needs_consent"
# Where to go after «I agree»: the callback data of the button that was pressed.
RESUME_KEY = "after_consent"
# Passed to the handler of the button pressed again: the consent was given just now.
CONSENT_GIVEN = "consent_given"
# Whether the screen asks an existing applicant again (a new text), for its other version.
RENEWED_KEY = "consent_renewed"


def consent_head(renewed: bool) -> list[str]:
    lines = []
    if renewed:
        lines += [
            _(
                "<b>The consent text has changed.</b> Please read the new version: your "
                "data is used further only with your agreement to it."
            ),
            "",
        ]
    lines += [
        _("<b>Consent to the processing of personal data</b>"),
        _("Version {version}").format(version=rules.CONSENT_VERSION),
        "",
    ]
    return lines


def retention_text(days: int) -> str:
    return ngettext(
        "until the end of the admission campaign and {days} day after it",
        "until the end of the admission campaign and {days} days after it",
        days,
    ).format(days=days)


def consent_short(catalog: Catalog, clock: Clock, retention_days: int, renewed: bool) -> str:
    """The consent in short, first: what a 15-year-old needs to decide; the full text (the
    operators with their names and addresses) is one tap away."""
    year = catalog.recent_campaign(clock.today()).year
    lines = consent_head(renewed)
    lines += [
        _("<b>In short</b>"),
        _(
            "• Who: the colleges of the “Metallurgy” cluster (names and addresses: in the "
            "full text)."
        ),
        _(
            "• What: name, date of birth, phone, education, average score, specialties, "
            "dormitory and your documents."
        ),
        _("• Why: admission to the colleges in {year}.").format(year=year),
        _("• How long: {period}; once you are enrolled, by the college's rules.").format(
            period=retention_text(retention_days)
        ),
        _("• You can withdraw it at any time: «My application» → «Delete my data»."),
        "",
        _(
            "Under 18, a parent or legal representative also gives their consent; under 14, "
            "they apply for you."
        ),
    ]
    return "\n".join(lines)


def consent_text(catalog: Catalog, clock: Clock, retention_days: int, renewed: bool) -> str:
    """The full text of the consent: a separate document (152-ФЗ), with its version."""
    year = catalog.recent_campaign(clock.today()).year
    lines = consent_head(renewed)
    lines += [
        _(
            "To accept your application here, the colleges of the “Metallurgy” cluster "
            "(the operators) need your personal data: full name, date of birth, phone, "
            "e-mail, education, average score of the certificate, the chosen specialties, "
            "the need of a dormitory, and the scans of your documents (passport, "
            "education certificate, photo, medical certificate)."
        ),
        "",
        # 152-ФЗ ст. 9 ч. 4: the consent names the operator, its full name and address.
        _("<b>Operators</b> (the colleges of the cluster, their full names and addresses):"),
        *operator_lines(catalog),
        "",
        _(
            "<b>Purpose:</b> admission to the colleges of the cluster in {year}: checking "
            "the documents, the ranking, messages to you about your application."
        ).format(year=year),
        _(
            "<b>What is done with it:</b> collecting, recording, storing, using, passing it "
            "to the admission office of the colleges you choose, deleting."
        ),
        _(
            "<b>How long:</b> {period}; if you are enrolled, the college keeps it by its own rules."
        ).format(period=retention_text(retention_days)),
        _(
            "<b>How to withdraw:</b> at any time, in «My application» → «Delete my data», "
            "or by a written request to the college. The data are then deleted."
        ),
        "",
        _(
            "Under 14, a parent or legal representative gives this consent and applies for "
            "you; from 14 to 18, a parent or legal representative also gives their consent."
        ),
        _(
            "This consent is a separate document (Federal Law No. 152-FZ “On Personal Data”). "
            "Without it you can still apply at the college in person."
        ),
    ]
    return "\n".join(lines)


def consent_keyboard(full: bool = False) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ I agree"), callback_data=ConsentCb(action=ConsentAction.yes))
    if full:
        builder.button(text=_("⬅️ In short"), callback_data=ConsentCb(action=ConsentAction.short))
    else:
        builder.button(text=_("📄 Full text"), callback_data=ConsentCb(action=ConsentAction.full))
    builder.button(text=_("I do not agree"), callback_data=ConsentCb(action=ConsentAction.no))
    builder.adjust(1)
    return builder.as_markup()


async def ask_consent(
    target: Message | CallbackQuery,
    state: FSMContext,
    catalog: Catalog,
    clock: Clock,
    settings: Settings,
    *,
    resume: str | None,
    renewed: bool,
) -> None:
    """Show the consent screen; ``resume`` is the button to press again after «I agree»."""
    await state.update_data({RESUME_KEY: resume, RENEWED_KEY: renewed})
    text = consent_short(catalog, clock, settings.retention_days, renewed)
    await show(target, text, consent_keyboard())


class ConsentGate(BaseMiddleware):
    """Lets a flagged handler run only with the current consent; else asks for it first.

    ``resume`` is the button pressed again after «I agree» when the update was a message
    (a typed answer, a file): one that shows the question the user was at.
    """

    def __init__(self, resume: str) -> None:
        self.resume = resume

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = data.get("event_from_user")
        if not get_flag(data, CONSENT_FLAG) or user is None:
            return await handler(event, data)
        consents: ConsentRepository = data["consents"]
        consent = await consents.current(user.id)
        if rules.consent_is_current(consent, data["catalog"]):
            return await handler(event, data)
        target = event if isinstance(event, (Message, CallbackQuery)) else None
        if target is None:
            return None
        resume = event.data if isinstance(event, CallbackQuery) else self.resume
        await ask_consent(
            target,
            data["state"],
            data["catalog"],
            data["clock"],
            data["settings"],
            resume=resume,
            renewed=consent is not None,
        )
        return None  # a press is answered by CallbackAnswerMiddleware


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(
        ConsentCb.filter(F.action.in_({ConsentAction.full, ConsentAction.short}))
    )
    async def other_version(
        callback: CallbackQuery,
        callback_data: ConsentCb,
        state: FSMContext,
        catalog: Catalog,
        clock: Clock,
        settings: Settings,
    ) -> None:
        """The full text of the consent, or back to it in short."""
        renewed = bool((await state.get_data()).get(RENEWED_KEY))
        full = callback_data.action == ConsentAction.full
        render = consent_text if full else consent_short
        text = render(catalog, clock, settings.retention_days, renewed)
        await show(callback, text, consent_keyboard(full=full))

    @router.callback_query(ConsentCb.filter(F.action == ConsentAction.yes))
    async def agreed(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        consents: ConsentRepository,
        clock: Clock,
        dispatcher: Dispatcher,
        **context: Any,  # the rest of the update's context, passed on with the press below
    ) -> None:
        user_id = callback.from_user.id
        data = await state.get_data()
        resume = data.pop(RESUME_KEY, None)
        data.pop(RENEWED_KEY, None)
        catalog: Catalog = context["catalog"]
        if not rules.consent_is_current(await consents.current(user_id), catalog):
            await consents.give(user_id, rules.consent_version(catalog), clock.now())
            context[CONSENT_GIVEN] = True
        elif not resume:
            await stale(callback, callback_answer)  # a second click: the first one went on
            return
        await state.set_data(data)
        # The press below is answered once, by its own handler's answer.
        callback_answer.disable()
        # Press for them the button that brought the consent screen (by default «Apply»): it
        # goes through the same filters and checks as a press of their own.
        pressed = callback.model_copy(update={"data": resume or MenuCb(to=Section.apply).pack()})
        context["raw_state"] = await state.get_state()
        await dispatcher.propagate_event(
            "callback_query",
            pressed,
            state=state,
            consents=consents,
            clock=clock,
            dispatcher=dispatcher,
            **context,
        )

    @router.callback_query(ConsentCb.filter(F.action == ConsentAction.no))
    async def declined(
        callback: CallbackQuery,
        state: FSMContext,
        consents: ConsentRepository,
        applications: ApplicationRepository,
    ) -> None:
        await end_form(state)  # a draft of the form goes too: it was kept for the consent
        await consents.count_declined()
        builder = InlineKeyboardBuilder()
        if await applications.id_for_user(callback.from_user.id) is not None:
            text = _(
                "Understood: nothing was changed. Your application stays as it is; to change "
                "it, agree to the new text. To erase your data: «My application» → «Delete "
                "my data»."
            )
            builder.button(
                text=_("📄 My application"), callback_data=MyAppCb(action=MyAppAction.show)
            )
        else:
            text = _(
                "Understood: nothing was saved. Without the consent the application cannot be "
                "accepted in the bot, but you can apply at the college in person."
            )
            builder.button(text=_("📋 How to apply"), callback_data=MenuCb(to=Section.howto))
        home_button_row(builder)
        builder.adjust(1)
        await show(callback, text, builder.as_markup())

    return router

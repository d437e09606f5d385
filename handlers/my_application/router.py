"""«My application»: show it, change the answers, send a correction for review, withdraw,
submit again; with the routers of «Add a document» and «Delete my data»."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.applications import (
    EDITABLE_STATUSES,
    MAX_WITHDRAWALS,
    WITHDRAWABLE_STATUSES,
    next_withdrawal_at,
)
from bot.domain.catalog import Catalog
from bot.domain.draft import Draft
from db.applications import Application, ApplicationRepository
from handlers.application.draft_store import DraftStore
from handlers.application.flow import go
from handlers.application.steps import REVIEW
from handlers.callbacks import MyAppAction, MyAppCb
from handlers.consent import CONSENT_FLAG, ConsentGate
from handlers.my_application import delete, upload
from handlers.my_application.screen import (
    changeable,
    show_application,
    staff_corrected_notices,
    staff_status_notices,
)
from handlers.ui import alert, fmt_date, show


async def withdrawal_refused(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    application: Application,
    applications: ApplicationRepository,
    catalog: Catalog,
    settings: Settings,
    clock: Clock,
) -> bool:
    """Past the daily number of withdrawals: say when it is possible again."""
    again = next_withdrawal_at(application.history, clock.now())
    if again is None:
        return False
    local = again.astimezone(clock.tz)
    alert(
        callback_answer,
        ngettext(
            "You have withdrawn the application {count} time in 24 hours. You can "
            "withdraw it again on {date} after {time}.",
            "You have withdrawn the application {count} times in 24 hours. You can "
            "withdraw it again on {date} after {time}.",
            MAX_WITHDRAWALS,
        ).format(count=MAX_WITHDRAWALS, date=fmt_date(local.date()), time=f"{local:%H:%M}"),
    )
    await show_application(callback, applications, catalog, settings, clock)
    return True


async def change_own_status(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    allowed: tuple[str, ...],
    new: str,
    event: str,
    applications: ApplicationRepository,
    catalog: Catalog,
    settings: Settings,
    clock: Clock,
) -> None:
    application = await changeable(callback, callback_answer, applications, catalog, clock)
    if application is None:
        return
    if application.status not in allowed:  # a double click, an old screen
        await show_application(callback, applications, catalog, settings, clock)
        return
    if new == "withdrawn" and await withdrawal_refused(
        callback, callback_answer, application, applications, catalog, settings, clock
    ):
        return
    await applications.set_status(
        application.id,
        new,
        clock.now(),
        actor_id=None,
        notices=staff_status_notices(settings, event),
    )
    callback_answer.text = _("Done.")
    await show_application(callback, applications, catalog, settings, clock)


def get_router() -> Router:
    router = Router(name=__name__)
    # Changing answers, adding files, submitting again: only with the current consent. After
    # «I agree», a file sent is not sent again: the upload prompt is shown again.
    gate = ConsentGate(resume=MyAppCb(action=MyAppAction.upload_more).pack())
    router.message.middleware(gate)  # inner middlewares reach the routers included below
    router.callback_query.middleware(gate)
    gated = {CONSENT_FLAG: True}

    @router.callback_query(MyAppCb.filter(F.action == MyAppAction.show))
    async def show_mine(
        callback: CallbackQuery,
        applications: ApplicationRepository,
        catalog: Catalog,
        settings: Settings,
        clock: Clock,
    ) -> None:
        await show_application(callback, applications, catalog, settings, clock)

    @router.callback_query(MyAppCb.filter(F.action == MyAppAction.edit), flags=gated)
    async def edit(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        applications: ApplicationRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        application = await changeable(callback, callback_answer, applications, catalog, clock)
        if application is None:
            return
        if application.status not in EDITABLE_STATUSES:
            alert(callback_answer, _("This application can no longer be changed."))
            return
        draft = Draft.of_application(application)
        await DraftStore(state).save(draft)
        await go(callback, state, REVIEW, draft, catalog)

    @router.callback_query(MyAppCb.filter(F.action == MyAppAction.send_review), flags=gated)
    async def send_for_review(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        applications: ApplicationRepository,
        catalog: Catalog,
        settings: Settings,
        clock: Clock,
    ) -> None:
        """The correction is done: back to review, and the staff get one notice of it all."""
        application = await changeable(callback, callback_answer, applications, catalog, clock)
        if application is None:
            return
        if application.status != "needs_correction":  # a double click, an old screen
            await show_application(callback, applications, catalog, settings, clock)
            return
        sent = await applications.send_for_review(
            application.id, clock.now(), staff_corrected_notices(settings)
        )
        if sent is None:
            alert(
                callback_answer,
                _(
                    "Nothing is changed yet. Change what the admission office asked for "
                    "(answers or documents), then send it."
                ),
            )
            return
        await show_application(
            callback,
            applications,
            catalog,
            settings,
            clock,
            notice=_("📤 Sent for review. The admission office will check it again."),
        )

    @router.callback_query(MyAppCb.filter(F.action == MyAppAction.withdraw))
    async def withdraw_asked(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        applications: ApplicationRepository,
        catalog: Catalog,
        settings: Settings,
        clock: Clock,
    ) -> None:
        application = await changeable(callback, callback_answer, applications, catalog, clock)
        if application is None:
            return
        if await withdrawal_refused(
            callback, callback_answer, application, applications, catalog, settings, clock
        ):
            return
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("Yes, withdraw"), callback_data=MyAppCb(action=MyAppAction.withdraw_yes)
        )
        builder.button(text=_("No"), callback_data=MyAppCb(action=MyAppAction.show))
        builder.adjust(2)
        await show(
            callback,
            _(
                "Withdraw the application? It leaves the ranking. You can submit it again "
                "while the admission is open."
            ),
            builder.as_markup(),
        )

    @router.callback_query(MyAppCb.filter(F.action == MyAppAction.withdraw_yes))
    async def withdraw(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        applications: ApplicationRepository,
        catalog: Catalog,
        settings: Settings,
        clock: Clock,
    ) -> None:
        await change_own_status(
            callback, callback_answer, WITHDRAWABLE_STATUSES, "withdrawn", "withdrawn",
            applications, catalog, settings, clock,
        )  # fmt: skip

    @router.callback_query(MyAppCb.filter(F.action == MyAppAction.resubmit), flags=gated)
    async def resubmit(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        applications: ApplicationRepository,
        catalog: Catalog,
        settings: Settings,
        clock: Clock,
    ) -> None:
        await change_own_status(
            callback, callback_answer, ("withdrawn",), "submitted", "resubmitted",
            applications, catalog, settings, clock,
        )  # fmt: skip

    router.include_routers(upload.get_router(), delete.get_router())
    return router

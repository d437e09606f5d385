"""«My application»: show it, change the answers, withdraw, submit again; with the routers of
«Add a document» and «Delete my data»."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
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
from handlers.my_application.screen import changeable, show_application, staff_status_notices
from handlers.ui import fmt_date, show


async def withdrawal_refused(
    callback: CallbackQuery,
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
    await callback.answer(
        ngettext(
            "You have withdrawn the application {count} time in 24 hours. You can "
            "withdraw it again on {date} after {time}.",
            "You have withdrawn the application {count} times in 24 hours. You can "
            "withdraw it again on {date} after {time}.",
            MAX_WITHDRAWALS,
        ).format(count=MAX_WITHDRAWALS, date=fmt_date(local.date()), time=f"{local:%H:%M}"),
        show_alert=True,
    )
    await show_application(callback, applications, catalog, settings, clock)
    return True


async def change_own_status(
    callback: CallbackQuery,
    allowed: tuple[str, ...],
    new: str,
    event: str,
    applications: ApplicationRepository,
    catalog: Catalog,
    settings: Settings,
    clock: Clock,
) -> None:
    application = await changeable(callback, applications, catalog, clock)
    if application is None:
        return
    if application.status not in allowed:  # a double click, an old screen
        await callback.answer()
        await show_application(callback, applications, catalog, settings, clock)
        return
    if new == "withdrawn" and await withdrawal_refused(
        callback, application, applications, catalog, settings, clock
    ):
        return
    await applications.set_status(
        application.id,
        new,
        clock.now(),
        actor_id=None,
        notices=staff_status_notices(settings, event),
    )
    await callback.answer(_("Done."))
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
        await callback.answer()

    @router.callback_query(MyAppCb.filter(F.action == MyAppAction.edit), flags=gated)
    async def edit(
        callback: CallbackQuery,
        state: FSMContext,
        applications: ApplicationRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        application = await changeable(callback, applications, catalog, clock)
        if application is None:
            return
        if application.status not in EDITABLE_STATUSES:
            await callback.answer(_("This application can no longer be changed."), show_alert=True)
            return
        draft = Draft.of_application(application).model_copy(
            update={"application_id": application.id}
        )
        await DraftStore(state).save(draft)
        await go(callback, state, REVIEW, draft, catalog)
        await callback.answer()

    @router.callback_query(MyAppCb.filter(F.action == MyAppAction.withdraw))
    async def withdraw_asked(
        callback: CallbackQuery,
        applications: ApplicationRepository,
        catalog: Catalog,
        settings: Settings,
        clock: Clock,
    ) -> None:
        application = await changeable(callback, applications, catalog, clock)
        if application is None:
            return
        if await withdrawal_refused(callback, application, applications, catalog, settings, clock):
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
        await callback.answer()

    @router.callback_query(MyAppCb.filter(F.action == MyAppAction.withdraw_yes))
    async def withdraw(
        callback: CallbackQuery,
        applications: ApplicationRepository,
        catalog: Catalog,
        settings: Settings,
        clock: Clock,
    ) -> None:
        await change_own_status(
            callback, WITHDRAWABLE_STATUSES, "withdrawn", "withdrawn",
            applications, catalog, settings, clock,
        )  # fmt: skip

    @router.callback_query(MyAppCb.filter(F.action == MyAppAction.resubmit), flags=gated)
    async def resubmit(
        callback: CallbackQuery,
        applications: ApplicationRepository,
        catalog: Catalog,
        settings: Settings,
        clock: Clock,
    ) -> None:
        await change_own_status(
            callback, ("withdrawn",), "submitted", "resubmitted",
            applications, catalog, settings, clock,
        )  # fmt: skip

    router.include_routers(upload.get_router(), delete.get_router())
    return router

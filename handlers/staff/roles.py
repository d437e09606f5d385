"""Staff roles: administrators (``ADMIN_IDS``) invite staff with a one-time link (24 hours),
list and revoke them (bot/services/staff.py). The invite itself is redeemed by someone not yet
staff: ``get_invite_router`` comes before /start, outside the staff tree."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog
from bot.domain.roles import Scope
from bot.services.staff import ALL_COLLEGES, create_invite, redeem_invite, revoke
from db.staff import StaffMember, StaffRepository
from handlers.callbacks import QueueAction, QueueCb, RolesAction, RolesCb
from handlers.ui import alert, current_language, fmt_date, h, page_buttons, page_of, show

INVITE_PREFIX = "staff_"


def scope_name(catalog: Catalog, college_id: str | None) -> str:
    if college_id is None:
        return _("all colleges")
    college = catalog.college(college_id)
    return h(college.short_name.get(current_language())) if college else h(college_id)


def member_name(member: StaffMember) -> str:
    return h(member.name) if member.name else _("id {id}").format(id=member.user_id)


MEMBERS_PAGE = 8  # staff members on one screen: the list grows with every invite redeemed


async def staff_list(
    staff: StaffRepository, catalog: Catalog, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    members = await staff.members()
    shown, page, pages = page_of(members, page, MEMBERS_PAGE)
    lines = [_("<b>Admission staff</b>"), _("Administrators (ADMIN_IDS) are not listed."), ""]
    if pages > 1:
        lines.insert(1, _("page {page} of {pages}").format(page=page + 1, pages=pages))
    if not members:
        lines.append(_("Nobody yet. Invite staff with a link:"))
    builder = InlineKeyboardBuilder()
    for m in shown:
        lines.append(
            _("• {name} (id {id}): {scope}, since {date}").format(
                name=member_name(m),
                id=m.user_id,
                scope=scope_name(catalog, m.college_id),
                date=fmt_date(m.granted_at.date()),
            )
        )
        builder.button(
            text=_("🚫 Revoke: {name}").format(name=m.name or m.user_id),
            callback_data=RolesCb(action=RolesAction.revoke_ask, user=m.user_id),
        )
    nav = page_buttons(builder, page, pages, lambda p: RolesCb(action=RolesAction.list, page=p))
    builder.button(
        text=_("➕ Invite: all colleges"),
        callback_data=RolesCb(action=RolesAction.invite, college=ALL_COLLEGES),
    )
    for college in catalog.colleges:
        builder.button(
            text=_("➕ Invite: {college}").format(
                college=college.short_name.get(current_language())
            ),
            callback_data=RolesCb(action=RolesAction.invite, college=college.id),
        )
    builder.button(text=_("⬅️ Panel"), callback_data=QueueCb(action=QueueAction.panel))
    rest = 1 + len(catalog.colleges) + 1
    builder.adjust(*([1] * len(shown)), *([nav] if nav else []), *([1] * rest))
    return "\n".join(lines), builder.as_markup()


def revoke_screen(member: StaffMember) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("🚫 Yes, revoke"),
        callback_data=RolesCb(action=RolesAction.revoke, user=member.user_id),
    )
    builder.button(text=_("⬅️ Back"), callback_data=RolesCb(action=RolesAction.list))
    builder.adjust(1)
    text = _("Revoke the staff role of {name}? They lose access at once.").format(
        name=member_name(member)
    )
    return text, builder.as_markup()


def not_administrator(callback: CallbackQuery, scope: Scope) -> bool:
    return not scope.admin


def get_router() -> Router:
    """The staff list, invites and revoking, inside the staff tree (``scope`` is given)."""
    router = Router(name=__name__)

    def action(name: RolesAction) -> CallbackQueryFilter:
        return RolesCb.filter(F.action == name)

    @router.callback_query(RolesCb.filter(), not_administrator)
    async def not_for_staff(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
        """First: staff who are not administrators manage nobody."""
        alert(callback_answer, _("Only administrators manage staff."))

    @router.callback_query(action(RolesAction.list))
    async def members(
        callback: CallbackQuery, callback_data: RolesCb, staff: StaffRepository, catalog: Catalog
    ) -> None:
        await show(callback, *await staff_list(staff, catalog, callback_data.page))

    @router.callback_query(action(RolesAction.invite))
    async def invite(
        callback: CallbackQuery,
        callback_data: RolesCb,
        callback_answer: CallbackAnswer,
        bot: Bot,
        staff: StaffRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        college = callback_data.college
        if college != ALL_COLLEGES and catalog.college(college) is None:
            callback_answer.text = _("This college is no longer in the catalogue.")
            return
        college_id = None if college == ALL_COLLEGES else college
        token = await create_invite(staff, college_id, callback.from_user.id, clock.now())
        me = await bot.me()
        link = f"https://t.me/{me.username}?start={INVITE_PREFIX}{token}"
        await bot.send_message(
            callback.from_user.id,
            _("Invite to the admission staff ({scope}). It works once, for 24 hours. "
              "Send it to the staff member privately:\n{link}").format(
                scope=scope_name(catalog, college_id), link=h(link)
            ),
        )  # fmt: skip

    @router.callback_query(action(RolesAction.revoke_ask))
    async def revoke_ask(
        callback: CallbackQuery,
        callback_data: RolesCb,
        callback_answer: CallbackAnswer,
        staff: StaffRepository,
        catalog: Catalog,
    ) -> None:
        member = await staff.member(callback_data.user)
        if member is None:
            callback_answer.text = _("This person is not staff any more.")
            await show(callback, *await staff_list(staff, catalog))
            return
        await show(callback, *revoke_screen(member))

    @router.callback_query(action(RolesAction.revoke))
    async def revoke_now(
        callback: CallbackQuery,
        callback_data: RolesCb,
        callback_answer: CallbackAnswer,
        staff: StaffRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        member = await staff.member(callback_data.user)
        if member is None:
            callback_answer.text = _("This person is not staff any more.")
        else:
            await revoke(staff, member.user_id, callback.from_user.id, clock.now())
            callback_answer.text = _("Revoked.")
        await show(callback, *await staff_list(staff, catalog))

    return router


def get_invite_router() -> Router:
    """``/start staff_<token>``: someone not yet staff joins by an invite link. Before the
    /start of the main menu."""
    router = Router(name=f"{__name__}.invite")

    @router.message(CommandStart(deep_link=True, magic=F.args.startswith(INVITE_PREFIX)))
    async def redeem(
        message: Message,
        command: CommandObject,
        settings: Settings,
        staff: StaffRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        user = message.from_user
        assert user is not None
        if user.id in settings.admin_ids:
            await message.answer(_("You are an administrator already: open /staff."))
            return
        token = (command.args or "").removeprefix(INVITE_PREFIX)
        name = user.full_name + (f" @{user.username}" if user.username else "")
        member = await redeem_invite(staff, token, user.id, name[:100], clock.now())
        if member is None:
            await message.answer(
                _("This invite link is not valid: it was used already or has expired. "
                  "Ask an administrator for a new one.")
            )  # fmt: skip
            return
        await message.answer(
            _("You are now a member of the admission staff ({scope}). Open /staff.").format(
                scope=scope_name(catalog, member.college_id)
            )
        )

    return router

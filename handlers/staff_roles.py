"""Staff roles: administrators invite staff with a one-time link (24 hours), list and revoke
them. Only the ids in ADMIN_IDS can do this; the role is re-read on every update."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from aiogram import Bot, F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog
from db.staff import StaffMember, StaffRepository
from handlers.callbacks import RolesAction, RolesCb, StaffAction
from handlers.staff import StaffCb, member_or_deny
from handlers.ui import current_language, fmt_date, h, show

INVITE_TTL = timedelta(hours=24)
INVITE_PREFIX = "staff_"
ALL_COLLEGES = "*"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def scope_name(catalog: Catalog, college_id: str | None) -> str:
    if college_id is None:
        return _("all colleges")
    college = catalog.college(college_id)
    return h(college.short_name.get(current_language())) if college else h(college_id)


def member_name(member: StaffMember) -> str:
    return h(member.name) if member.name else _("id {id}").format(id=member.user_id)


async def staff_list(staff: StaffRepository, catalog: Catalog) -> tuple[str, InlineKeyboardMarkup]:
    members = await staff.members()
    lines = [_("<b>Admission staff</b>"), _("Administrators (ADMIN_IDS) are not listed."), ""]
    if not members:
        lines.append(_("Nobody yet. Invite staff with a link:"))
    builder = InlineKeyboardBuilder()
    for m in members:
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
    builder.button(
        text=_("➕ Invite: all colleges"),
        callback_data=RolesCb(action=RolesAction.invite, college="*"),
    )
    for college in catalog.colleges:
        builder.button(
            text=_("➕ Invite: {college}").format(
                college=college.short_name.get(current_language())
            ),
            callback_data=RolesCb(action=RolesAction.invite, college=college.id),
        )
    builder.button(text=_("⬅️ Panel"), callback_data=StaffCb(action=StaffAction.panel))
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


def get_router() -> Router:
    router = Router(name=__name__)

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
        member = await staff.redeem_invite(token_hash(token), user.id, name[:100], clock.now())
        if member is None:
            await message.answer(
                _("This invite link is not valid: it was used already or has expired. "
                  "Ask an administrator for a new one.")
            )  # fmt: skip
            return
        await staff.audit(user.id, "staff:joined", None, member.college_id or "*", clock.now())
        await message.answer(
            _("You are now a member of the admission staff ({scope}). Open /staff.").format(
                scope=scope_name(catalog, member.college_id)
            )
        )

    @router.callback_query(RolesCb.filter())
    async def roles(
        callback: CallbackQuery,
        callback_data: RolesCb,
        bot: Bot,
        settings: Settings,
        staff: StaffRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        scope = await member_or_deny(callback, settings, staff)
        if scope is None:
            return
        if not scope.admin:
            await callback.answer(_("Only administrators manage staff."), show_alert=True)
            return
        action = callback_data.action
        if action == "invite":
            college = callback_data.college
            if college != ALL_COLLEGES and catalog.college(college) is None:
                await callback.answer(_("This college is no longer in the catalogue."))
                return
            college_id = None if college == ALL_COLLEGES else college
            token = secrets.token_urlsafe(24)
            now = clock.now()
            await staff.create_invite(
                token_hash(token), college_id, callback.from_user.id, now, now + INVITE_TTL
            )
            await staff.audit(callback.from_user.id, "staff:invite", None, college, now)
            me = await bot.me()
            link = f"https://t.me/{me.username}?start={INVITE_PREFIX}{token}"
            await callback.answer()
            await bot.send_message(
                callback.from_user.id,
                _("Invite to the admission staff ({scope}). It works once, for 24 hours. "
                  "Send it to the staff member privately:\n{link}").format(
                    scope=scope_name(catalog, college_id), link=h(link)
                ),
            )  # fmt: skip
            return
        if action in ("revoke_ask", "revoke"):
            member = await staff.member(callback_data.user)
            if member is None:
                await callback.answer(_("This person is not staff any more."))
                await show(callback, *await staff_list(staff, catalog))
                return
            if action == "revoke_ask":
                builder = InlineKeyboardBuilder()
                builder.button(
                    text=_("🚫 Yes, revoke"),
                    callback_data=RolesCb(action=RolesAction.revoke, user=member.user_id),
                )
                builder.button(text=_("⬅️ Back"), callback_data=RolesCb(action=RolesAction.list))
                builder.adjust(1)
                await show(
                    callback,
                    _("Revoke the staff role of {name}? They lose access at once.").format(
                        name=member_name(member)
                    ),
                    builder.as_markup(),
                )
                await callback.answer()
                return
            await staff.revoke(member.user_id)
            await staff.audit(
                callback.from_user.id, "staff:revoke", None, str(member.user_id), clock.now()
            )
            await callback.answer(_("Revoked."))
        else:
            await callback.answer()
        await show(callback, *await staff_list(staff, catalog))

    return router

"""The admission staff at work: who is staff (read afresh on every update), invitations by a
one-time link (only a hash of its token is stored), revoking. Every change is audited."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from datetime import datetime, timedelta

from bot.domain.roles import Scope
from db.staff import StaffMember, StaffRepository

INVITE_TTL = timedelta(hours=24)
ALL_COLLEGES = "*"  # an invite for staff of every college (as its callback data says)


async def scope_of(
    user_id: int, admin_ids: Collection[int], staff: StaffRepository
) -> Scope | None:
    """What ``user_id`` may see as staff; None: not staff. Administrators are the
    ``ADMIN_IDS``; the others hold a role granted by an invite."""
    if user_id in admin_ids:
        return Scope(user_id, None, admin=True)
    role = await staff.role(user_id)
    return None if role is None else Scope(user_id, role[0])


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_invite(
    staff: StaffRepository, college_id: str | None, actor_id: int, now: datetime
) -> str:
    """A new invite for staff of ``college_id`` (None: every college); its token, which only
    the link carries."""
    token = secrets.token_urlsafe(24)
    async with staff.db.transaction():
        await staff.create_invite(token_hash(token), college_id, actor_id, now, now + INVITE_TTL)
        await staff.audit(actor_id, "staff:invite", None, college_id or ALL_COLLEGES, now)
    return token


async def redeem_invite(
    staff: StaffRepository, token: str, user_id: int, name: str, now: datetime
) -> StaffMember | None:
    """The role an invite grants ``user_id``; None if the invite is unknown, used by someone
    else or expired."""
    async with staff.db.transaction():
        member = await staff.redeem_invite(token_hash(token), user_id, name, now)
        if member is not None:
            scope = member.college_id or ALL_COLLEGES
            await staff.audit(user_id, "staff:joined", None, scope, now)
    return member


async def revoke(staff: StaffRepository, user_id: int, actor_id: int, now: datetime) -> None:
    """Take the role away at once: the next update of ``user_id`` finds no scope."""
    async with staff.db.transaction():
        await staff.revoke(user_id)
        await staff.audit(actor_id, "staff:revoke", None, str(user_id), now)

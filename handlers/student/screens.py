"""The students' screens: the consent, «My work placement», the college's groups and specialties,
the warning for a group the college has not listed."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog
from bot.domain.students import STUDENT_CONSENT_VERSION
from db.reminders import ReminderRepository, Student, StudentGroup
from handlers.callbacks import MenuCb, Section, StudentAction, StudentCb
from handlers.catalog_texts import button_label, choice_label, operator_lines, unconfirmed_legend
from handlers.texts.practicum import period_lines
from handlers.ui import current_language, h, home_button_row

GROUPS_PAGE = 24  # buttons of groups on one screen, three in a row


def consent_text(catalog: Catalog, settings: Settings) -> str:
    return "\n".join(
        [
            _("<b>Consent to the processing of personal data (students)</b>"),
            "",
            _(
                "To send you your work placement dates and reminders, the bot keeps your Telegram "
                "id, your college, your group and its specialty. Purpose: work placement dates and "
                "reminders, and your questions to the college's work placement staff."
            ),
            _("Operators:"),
            *operator_lines(catalog),
            ngettext(
                "Kept until you leave («I have graduated or left» in «My work placement», or "
                "/delete_my_data), and at most {days} day after your group's last work placement "
                "report. You may withdraw this consent the same way at any time.",
                "Kept until you leave («I have graduated or left» in «My work placement», or "
                "/delete_my_data), and at most {days} days after your group's last work placement "
                "report. You may withdraw this consent the same way at any time.",
                settings.retention_days,
            ).format(days=settings.retention_days),
            _("Under 18: agree together with a parent or legal representative."),
            _("Version {version}").format(version=STUDENT_CONSENT_VERSION),
        ]
    )


def consent_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ I agree"), callback_data=StudentCb(action=StudentAction.consent_yes))
    builder.button(text=_("✖️ No, thanks"), callback_data=StudentCb(action=StudentAction.consent_no))
    builder.adjust(1)
    return builder.as_markup()


def college_name(catalog: Catalog, college_id: str) -> str:
    college = catalog.college(college_id)
    return college.short_name.get(current_language()) if college else college_id


async def practicum_screen(
    student: Student, repo: ReminderRepository, catalog: Catalog, clock: Clock
) -> tuple[str, InlineKeyboardMarkup]:
    group = await repo.group_named(student.college_id, student.group_name)
    specialty = catalog.specialty(student.specialty_code)
    lines = [
        _("<b>My work placement</b>"),
        _("Group {group} · {college}").format(
            group=h(student.group_name), college=h(college_name(catalog, student.college_id))
        ),
    ]
    if specialty:
        lines.append(h(button_label(specialty)))
    lines.append("")
    if group is None:
        lines += [
            _(
                "⚠️ Your college has not listed the group {group} yet: no work placement dates or "
                "reminders can reach you until it does. Check the name in your timetable "
                "(«✏️ Change group»). When the college adds the group, you will be told."
            ).format(group=h(student.group_name)),
            "",
        ]
    periods = [
        p
        for p in await repo.periods_of_group(student.college_id, student.group_name)
        if p.report_deadline >= clock.today()
    ]
    if not periods and group is not None:
        lines.append(
            _(
                "No work placement dates for your group yet. When the college adds them, you will "
                "get reminders 7 days and 1 day before the start, on the first morning, and "
                "before the report deadline."
            )
        )
    for period in periods:
        lines += [*period_lines(period), ""]
    builder = InlineKeyboardBuilder()
    if periods:
        builder.button(
            text=_("📅 Add to my calendar (.ics)"),
            callback_data=StudentCb(action=StudentAction.calendar),
        )
    builder.button(
        text=_("❓ Ask the work placement staff"), callback_data=StudentCb(action=StudentAction.ask)
    )
    builder.button(text=_("✏️ Change group"), callback_data=StudentCb(action=StudentAction.register))
    builder.button(text=_("🔔 Reminder settings"), callback_data=MenuCb(to=Section.reminders))
    builder.button(
        text=_("🚪 I have graduated or left"), callback_data=StudentCb(action=StudentAction.leave)
    )
    home_button_row(builder)
    builder.adjust(1)
    return "\n".join(lines).strip(), builder.as_markup()


def groups_screen(
    catalog: Catalog, college_id: str, groups: list[StudentGroup], page: int
) -> tuple[str, InlineKeyboardMarkup]:
    name = h(college_name(catalog, college_id))
    builder = InlineKeyboardBuilder()
    if groups:
        pages = (len(groups) + GROUPS_PAGE - 1) // GROUPS_PAGE
        page = min(max(page, 0), pages - 1)
        text = _(
            "<b>{college}</b>\n\nChoose your group, or type it as it is written in the timetable."
        ).format(college=name)
        for group in groups[page * GROUPS_PAGE : (page + 1) * GROUPS_PAGE]:
            builder.button(
                text=group.name, callback_data=StudentCb(action=StudentAction.group, id=group.id)
            )
        builder.adjust(3)
        nav = []
        if page > 0:
            nav.append(
                InlineKeyboardButton(
                    text="◀️",
                    callback_data=StudentCb(
                        action=StudentAction.college, value=college_id, id=page - 1
                    ).pack(),
                )
            )
        if page < pages - 1:
            nav.append(
                InlineKeyboardButton(
                    text="▶️",
                    callback_data=StudentCb(
                        action=StudentAction.college, value=college_id, id=page + 1
                    ).pack(),
                )
            )
        if nav:
            builder.row(*nav)
    else:
        text = _(
            "<b>{college}</b>\n\nThe college has not listed its groups in the bot yet. Type "
            "your group as it is written in the timetable, for example МП-26-1."
        ).format(college=name)
    builder.row(
        InlineKeyboardButton(
            text=_("⬅️ Colleges"),
            callback_data=StudentCb(action=StudentAction.register).pack(),
        )
    )
    return text, builder.as_markup()


def specialties_screen(catalog: Catalog, college_id: str) -> tuple[str, InlineKeyboardMarkup]:
    """What the catalogue says the college teaches (unconfirmed ones marked), then those whose
    college is not known yet, apart; never a specialty the catalogue places elsewhere."""
    found = catalog.browse(college_id)
    lines = [
        _("<b>{college}</b>: your specialty?").format(college=h(college_name(catalog, college_id)))
    ]
    builder = InlineKeyboardBuilder()
    for specialty in found.matches:
        builder.button(
            text=choice_label(specialty),
            callback_data=StudentCb(action=StudentAction.specialty, value=specialty.code),
        )
    if not found.matches:
        lines.append(_("The list of specialties taught at this college is being confirmed."))
    unconfirmed = sum(1 for s in found.matches if not s.confirmed)
    if unconfirmed:
        lines.append(unconfirmed_legend(unconfirmed))
    if found.unknown:
        lines.append(
            ngettext(
                "Where {count} specialty is taught is being confirmed: it is listed after "
                "the college's own, marked 📍❔.",
                "Where {count} specialties are taught is being confirmed: they are listed "
                "after the college's own, marked 📍❔.",
                len(found.unknown),
            ).format(count=len(found.unknown))
        )
        for specialty in found.unknown:
            builder.button(
                text=f"📍❔ {button_label(specialty)}",
                callback_data=StudentCb(action=StudentAction.specialty, value=specialty.code),
            )
    builder.button(text=_("⬅️ Back"), callback_data=StudentCb(action=StudentAction.register))
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


def unknown_group_screen(
    catalog: Catalog, college_id: str, typed: str
) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "⚠️ <b>{college} has not listed a group {group}.</b>\n\nCheck the name in your "
        "timetable. You can register with it anyway, but until the college adds this group, "
        "no work placement dates or reminders will reach you. When it does, you will be attached "
        "to it and told."
    ).format(college=h(college_name(catalog, college_id)), group=h(typed))
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✏️ Type it again"), callback_data=StudentCb(action=StudentAction.retype))
    builder.button(
        text=_("Register with {group} anyway").format(group=typed),
        callback_data=StudentCb(action=StudentAction.keep),
    )
    builder.button(
        text=_("⬅️ Groups"),
        callback_data=StudentCb(action=StudentAction.college, value=college_id),
    )
    builder.adjust(1)
    return text, builder.as_markup()

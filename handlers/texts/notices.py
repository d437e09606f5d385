"""Rendering of outbox rows: the staff post of a new application, status news for applicants.

Rendered when sent, in the recipient's language, from ids: a row never carries personal data,
and a row whose application was deleted renders to nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aiogram.methods import DeleteMessage, SendMessage, SendPhoto, TelegramMethod
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.applications import collapsed
from bot.domain.reminders import ACTIVE, TOPIC_PREFERENCE
from bot.domain.telegram_text import CAPTION_LIMIT, MESSAGE_LIMIT, telegram_length
from bot.services.catalog import CatalogService
from bot.services.closing import NOT_IN_ORDER, RANKING_NOTICE
from bot.services.digest import DIGEST
from db.applications import Application, ApplicationRepository
from db.broadcasts import BroadcastRepository
from db.catalog import CATALOG_NEWS
from db.closing import ClosingRepository
from db.outbox import OutboxMessage
from db.questions import QuestionRepository
from db.reminders import STUDENT_NEWS, ReminderRepository
from db.staff_posts import DELETE_POST
from db.users import UserRepository
from handlers.application_texts import status_label
from handlers.callbacks import MenuCb, MyAppAction, MyAppCb, Section
from handlers.texts.catalog_news import catalog_news
from handlers.texts.closing import digest_text, order_notice, ranking_notice
from handlers.texts.enrolment import enrolled_text
from handlers.texts.practicum import first_day_text, student_news
from handlers.texts.questions import answer_message, asker_lines, relay_call
from handlers.texts.staff_notices import staff_application, staff_changes, staff_event
from handlers.ui import fmt_date, fmt_number, h

# The reminders of something to do before a day («by 15 August»); the others name an event's
# day («on 12 May»).
DEADLINES = frozenset({"originals", "medical", "practicum_report"})


class NoticeRenderer:
    def __init__(
        self,
        *,
        i18n: I18n,
        applications: ApplicationRepository,
        users: UserRepository,
        catalogs: CatalogService,
        settings: Settings,
        reminders: ReminderRepository,
        clock: Clock,
        broadcasts: BroadcastRepository,
    ) -> None:
        self.i18n = i18n
        self.applications = applications
        self.users = users
        self.catalogs = catalogs
        self.settings = settings
        self.reminders = reminders
        self.clock = clock
        self.broadcasts = broadcasts

    async def __call__(self, message: OutboxMessage) -> list[TelegramMethod[Any]] | None:
        if message.kind == DELETE_POST:  # the bot's post about someone who deleted their data
            return [
                DeleteMessage(
                    chat_id=message.chat_id, message_id=int(message.payload["message_id"])
                )
            ]
        user = await self.users.get(message.chat_id)
        locale = user.language if user else self.settings.default_locale
        application = None
        if "application_id" in message.payload:
            application = await self.applications.get(int(message.payload["application_id"]))
            if application is None:
                return None
        with self.i18n.context(), self.i18n.use_locale(locale):
            if message.kind == "staff_application" and application:
                catalog = await self.catalogs.current()
                return staff_application(message.chat_id, application, catalog)
            if message.kind == "staff_event" and application:
                return [
                    SendMessage(chat_id=message.chat_id, text=staff_event(message, application))
                ]
            if message.kind == "staff_changes" and application:
                ids = [int(i) for i in message.payload.get("changes") or []]
                changes = collapsed(await self.applications.changes(application.id, ids))
                return staff_changes(message, application, changes)
            if message.kind == "status" and application:
                return [await self.status(message, application)]
            if message.kind == RANKING_NOTICE and application:
                notice = await ranking_notice(
                    message, application, self.closing(), await self.catalogs.current()
                )
                return None if notice is None else [notice]
            if message.kind == NOT_IN_ORDER and application:
                notice = await order_notice(
                    message, application, self.closing(), await self.catalogs.current()
                )
                return None if notice is None else [notice]
            if message.kind == DIGEST:
                text = digest_text(message, await self.catalogs.current())
                return [SendMessage(chat_id=message.chat_id, text=text)]
            if message.kind == "received" and application:
                return [self.received(message, application)]
            if message.kind == "reminder":
                return await self.reminder(message, application)
            if message.kind == "broadcast":
                return await self.broadcast(message, locale)
            if message.kind in ("retention_warning", "retention_done"):
                return [SendMessage(chat_id=message.chat_id, text=self.retention(message))]
            if message.kind == "retention_drafts":
                return [SendMessage(chat_id=message.chat_id, text=self.retention_drafts(message))]
            if message.kind in ("question", "answer"):
                return await self.question(message)
            if message.kind in STUDENT_NEWS:
                return await student_news(
                    message,
                    self.reminders,
                    tz=self.settings.tz,
                    hour=self.settings.reminder_hour,
                    now=self.clock.now(),
                )
            if message.kind == CATALOG_NEWS:
                return await catalog_news(message, self.catalogs)
        raise ValueError(f"unknown outbox kind {message.kind!r}")

    async def status(self, message: OutboxMessage, application: Application) -> SendMessage:
        status = str(message.payload.get("status") or application.status)
        comment = message.payload.get("comment")
        number = fmt_number(application.number)
        if status == "enrolled":
            catalog = await self.catalogs.current()
            code = application.enrolled_code or message.payload.get("specialty_code")
            text = enrolled_text(application, str(code) if code else None, catalog)
        elif status == "needs_correction":
            lines = [
                _("📬 Application {number}: the admission office asks you to correct it.").format(
                    number=number
                ),
                _("What to correct: {comment}").format(comment=h(comment))
                if comment
                else _("What to correct: the admission office will tell you."),
                _("Open «My application», change what is needed and press «📤 Send for review»."),
            ]
            text = "\n".join(lines)
        else:
            lines = [
                {
                    "accepted": _("📬 Application {number}: your documents are accepted."),
                    "rejected": _("📬 Application {number}: the application is rejected."),
                }.get(status, _("📬 Application {number}: the status is now «{status}».")).format(
                    number=number, status=status_label(status)
                )
            ]
            if comment:
                lines.append(
                    _("Comment of the admission office: {comment}").format(comment=h(comment))
                )
            text = "\n".join(lines)
        builder = InlineKeyboardBuilder()
        builder.button(text=_("📄 My application"), callback_data=MyAppCb(action=MyAppAction.show))
        return SendMessage(chat_id=message.chat_id, text=text, reply_markup=builder.as_markup())

    def closing(self) -> ClosingRepository:
        return ClosingRepository(self.applications.db)  # stateless: one per call is free

    def received(self, message: OutboxMessage, application: Application) -> SendMessage:
        text = (
            _("📬 Application {number}: the college has received your original certificate.")
            if message.payload.get("flag") == "original_received"
            else _("📬 Application {number}: the college has received your medical certificate.")
        ).format(number=fmt_number(application.number))
        builder = InlineKeyboardBuilder()
        builder.button(text=_("📄 My application"), callback_data=MyAppCb(action=MyAppAction.show))
        return SendMessage(chat_id=message.chat_id, text=text, reply_markup=builder.as_markup())

    async def reminder(
        self, message: OutboxMessage, application: Application | None
    ) -> list[TelegramMethod[Any]] | None:
        """The reminder's text, or None when it no longer concerns the user."""
        payload = message.payload
        topic = str(payload.get("topic"))
        if TOPIC_PREFERENCE.get(topic) in await self.reminders.optouts(message.chat_id):
            return None
        day = date.fromisoformat(str(payload["event_day"]))
        when = self.when(day, deadline=topic in DEADLINES)
        builder = InlineKeyboardBuilder()
        if topic in ("opening", "acceptance_end"):
            if await self.applications.id_for_user(message.chat_id) is not None:
                return None
            if topic == "acceptance_end":
                text = _("🔔 Admission ends {when}. Your application is not submitted yet.")
            elif payload.get("exact"):
                text = _("🔔 Admission opens {when}: you asked to be reminded.")
            elif day == self.clock.today():
                # The rules' latest day: by now it is open, or it opens today.
                text = _(
                    "🔔 Today is the latest day admission may open: it is open already or opens "
                    "today. You asked to be reminded."
                )
            else:
                text = _(
                    "🔔 Admission opens no later than {date} (the college may open earlier): "
                    "you asked to be reminded."
                )
            text = text.format(when=when, date=fmt_date(day))
            builder.button(text=_("📝 Apply"), callback_data=MenuCb(to=Section.apply))
        elif topic in ("originals", "medical", "enrollment", "correction"):
            if application is None or application.status not in ACTIVE:
                return None
            if topic == "originals":
                if application.original_received:
                    return None
                text = _(
                    "🔔 Application {number}: bring the original of your education certificate "
                    "to the college {when}, or confirm it on Gosuslugi. Without it you cannot be "
                    "enrolled."
                ).format(number=fmt_number(application.number), when=when)
            elif topic == "medical":
                if application.medical_received or any(
                    d.kind == "medical" for d in application.documents
                ):
                    return None
                text = _(
                    "🔔 Application {number}: your specialty requires a medical certificate "
                    "(form 086/u). Please bring it to the college {when}."
                ).format(number=fmt_number(application.number), when=when)
            elif topic == "enrollment":
                text = _("🔔 The enrollment order is published {when}.").format(when=when)
            else:
                if application.status != "needs_correction" or not await self.still_current(
                    application, int(payload.get("history_id") or 0)
                ):
                    return None
                text = _(
                    "🔔 Application {number} still needs a correction: the admission office "
                    "is waiting for it. When it is done, press «📤 Send for review»."
                ).format(number=fmt_number(application.number))
            builder.button(
                text=_("📄 My application"), callback_data=MyAppCb(action=MyAppAction.show)
            )
        elif topic in ("practicum_start", "practicum_report"):
            period = await self.reminders.period(int(payload["period_id"]))
            student = await self.reminders.student(message.chat_id)
            if (
                period is None
                or student is None
                or (student.college_id, student.group_name)
                != (period.college_id, period.group_name)
            ):
                return None
            if topic == "practicum_start" and day == self.clock.today():
                text = first_day_text(period)  # where to go, when, whom to ask, what to bring
            elif topic == "practicum_start":
                text = _(
                    "🔔 Your work placement starts {when}: {place}, supervisor {supervisor}, "
                    "until {end}."
                ).format(
                    when=when,
                    place=h(period.place),
                    supervisor=h(period.supervisor),
                    end=fmt_date(period.end),
                )
            else:
                text = _("🔔 The work placement report is due {when}.").format(when=when)
            builder.button(text=_("🧰 My work placement"), callback_data=MenuCb(to=Section.student))
        else:
            raise ValueError(f"unknown reminder topic {topic!r}")
        builder.button(text=_("🔕 Reminder settings"), callback_data=MenuCb(to=Section.reminders))
        builder.adjust(1)
        return [SendMessage(chat_id=message.chat_id, text=text, reply_markup=builder.as_markup())]

    def retention(self, message: OutboxMessage) -> str:
        """The staff's summary before the erasure of a campaign's personal data, or the
        report after it. Counts only: no names."""
        p = message.payload
        count = int(p["count"])
        applications = (
            ngettext(
                "{count} enrolled student's application",
                "{count} enrolled students' applications",
                count,
            )
            if p.get("enrolled")
            else ngettext(
                "{count} application of someone not enrolled",
                "{count} applications of those not enrolled",
                count,
            )
        ).format(count=count)
        if message.kind == "retention_warning":
            return _(
                "🗓 Personal data will be erased {when}: {applications} of the admission "
                "{year}, as the retention period requires. Export what the college must keep "
                "(/reports) before then."
            ).format(
                when=self.when(date.fromisoformat(p["day"])),
                applications=applications,
                year=p["year"],
            )
        return _(
            "🗑 Personal data erased: {applications} of the admission {year} (the retention "
            "period has passed)."
        ).format(applications=applications, year=p["year"])

    def retention_drafts(self, message: OutboxMessage) -> str:
        """Today's report of drafts and consents erased as nobody came back. Counts only."""
        p = message.payload
        days, drafts, consents = int(p["days"]), int(p["drafts"]), int(p["consents"])
        lines = [
            ngettext(
                "🗑 Erased after {days} day without activity (the retention period):",
                "🗑 Erased after {days} days without activity (the retention period):",
                days,
            ).format(days=days)
        ]
        if drafts:
            lines.append(
                ngettext(
                    "• {count} unfinished form or dialogue",
                    "• {count} unfinished forms or dialogues",
                    drafts,
                ).format(count=drafts)
            )
        if consents:
            lines.append(
                ngettext(
                    "• the consent of {count} person who never applied",
                    "• the consents of {count} people who never applied",
                    consents,
                ).format(count=consents)
            )
        return "\n".join(lines)

    async def broadcast(
        self, message: OutboxMessage, locale: str
    ) -> list[TelegramMethod[Any]] | None:
        """The staff's message as they wrote it (their HTML): its English version for those
        who read the bot in English, else the Russian one with a note saying so."""
        broadcast = await self.broadcasts.get(int(message.payload["broadcast_id"]))
        if broadcast is None:
            return None
        text = broadcast.text
        note = None
        if locale == "en":
            if broadcast.text_en:
                text = broadcast.text_en
            elif text:
                note = _("🇷🇺 A message from the admission office, in Russian only:")
        limit = CAPTION_LIMIT if broadcast.photo_file_id else MESSAGE_LIMIT
        calls: list[TelegramMethod[Any]] = []
        if note and telegram_length(note + "\n\n" + text) <= limit:
            text = note + "\n\n" + text
        elif note:
            calls.append(SendMessage(chat_id=message.chat_id, text=note))
        if broadcast.photo_file_id:
            calls.append(
                SendPhoto(
                    chat_id=message.chat_id, photo=broadcast.photo_file_id, caption=text or None
                )
            )
        else:
            calls.append(SendMessage(chat_id=message.chat_id, text=text))
        return calls

    async def still_current(self, application: Application, history_id: int) -> bool:
        """The correction asked in ``history_id`` is still the latest status change."""
        latest = await self.applications.latest_history_id(application.id)
        return latest == history_id

    def when(self, day: date, *, deadline: bool = False) -> str:
        """«today», «tomorrow», or the date: «by 15 August 2027» for a deadline (something
        to do before it), «on 12 May 2027» for an event on that day."""
        today = self.clock.today()
        if day == today:
            return _("today")
        if day == today + timedelta(days=1):
            return _("tomorrow")
        if deadline:
            return _("by {date}").format(date=fmt_date(day))
        return _("on {date}").format(date=fmt_date(day))

    async def question(self, message: OutboxMessage) -> list[TelegramMethod[Any]] | None:
        """A question relayed to a staff chat, or an answer delivered to the asker."""
        questions = QuestionRepository(self.applications.db)  # stateless: one per call is free
        question = await questions.get(int(message.payload["question_id"]))
        if question is None:
            return None
        if message.kind == "answer":
            answer = await questions.get_answer(int(message.payload["answer_id"]))
            if answer is None:
                return None
            return [answer_message(message.chat_id, question, answer)]
        context = await asker_lines(
            question.user_id,
            users=self.users,
            applications=self.applications,
            reminders=self.reminders,
            catalog=await self.catalogs.current(),
        )
        return [relay_call(message.chat_id, question, context)]

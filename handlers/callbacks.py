"""Callback data of every inline button. Ids and small numbers only, never free text."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class Section(StrEnum):
    home = "home"
    specialties = "specs"
    colleges = "colleges"
    howto = "howto"
    contacts = "contacts"
    apply = "apply"
    student = "student"
    language = "lang"
    search = "search"
    reminders = "remind"


class MenuCb(CallbackData, prefix="m"):
    to: Section


class SpecListCb(CallbackData, prefix="sl"):
    page: int = 0
    college: str = ""  # college id, "" = all
    base: int = 0  # 9 or 11, 0 = any


class SpecFilterCb(CallbackData, prefix="sf"):
    """Open the chooser of one filter, keeping the other one."""

    what: str  # "college" | "base"
    college: str = ""
    base: int = 0


class SpecCardCb(CallbackData, prefix="sc"):
    code: str
    page: int = 0
    college: str = ""
    base: int = 0


class CollegeCb(CallbackData, prefix="c"):
    id: str


class FaqCb(CallbackData, prefix="f"):
    index: int


class LanguageCb(CallbackData, prefix="lang"):
    code: str


class ApplyCb(CallbackData, prefix="ap"):
    code: str = ""  # the specialty chosen on its card, "" from the menu


class QuestionCb(CallbackData, prefix="q"):
    action: str  # ask | cancel (the asker) · list | open | answer (the staff)
    id: int = 0


class MyAppCb(CallbackData, prefix="ma"):
    action: str  # show | edit | add_doc | kind | upload_more | upload_done | withdraw | …
    value: str = ""

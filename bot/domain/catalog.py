"""The cluster's content as data: colleges, specialties, campaign calendar, FAQ.

The catalogue is one human-editable TOML file validated by the pydantic models below.
Problems are reported with their place in the file, e.g.
``specialties[3].code: '22.2.08' is not a FGOS code NN.NN.NN``.

Honesty rules the models carry (see the header of ``bot/data/catalog.toml``):

- every item (specialty, college, campaign, FAQ entry) may name its ``source``: the document
  its facts come from; ``sources`` names the source of one field when that is another
  document (``sources = { budget_places = "Приказ колледжа № 12 от 01.03.2026" }``);
- a value without a source is not stated as fact: :func:`unsourced_values` lists such values
  (``python -m bot catalog check`` prints them) and the shipped catalogue has none;
- a field left out is shown as «уточняется»; a specialty with ``confirmed = false`` is shown
  as one whose membership of the cluster is being confirmed;
- an unknown value is its own group in every filter (:meth:`Catalog.browse`), never a match
  and never hidden.

Events (open days, excursions, профпробы, online meetings) are items of the catalogue too, each
with its source; their times are local (Asia/Krasnoyarsk), written without an offset.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.domain.validation import Invalid, parse_email

SCHEMA_VERSION = 1
LANGUAGES = ("ru", "en")

_FGOS_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")
_COLLEGE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,15}$")
_EVENT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")
EVENT_ID_MAX = 24
_WEBSITE = re.compile(r"https?://[^\s/?#.]+(\.[^\s/?#.]+)+(:\d{1,5})?([/?#]\S*)?", re.IGNORECASE)
SOURCE_MAX = 300

# A document a fact comes from: «Порядок приема, приказ Минпросвещения № 457 от 02.09.2020».
Source = Annotated[str, Field(min_length=3, max_length=SOURCE_MAX)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Text(_Model):
    """A text in Russian (required) and English (falls back to Russian when missing)."""

    ru: Annotated[str, Field(min_length=1, max_length=2000)]
    en: Annotated[str, Field(min_length=1, max_length=2000)] | None = None

    def get(self, language: str) -> str:
        if language == "en" and self.en:
            return self.en
        return self.ru


class ShortText(Text):
    """A label for a button: short enough to read on a phone."""

    ru: Annotated[str, Field(min_length=1, max_length=28)]
    en: Annotated[str, Field(min_length=1, max_length=28)] | None = None


class SpecialtyKind(StrEnum):
    specialty = "specialty"  # специальность (mid-level specialists)
    profession = "profession"  # профессия (skilled workers)


class StudyForm(StrEnum):
    full_time = "full_time"
    part_time = "part_time"
    extramural = "extramural"


def _check_sources(sources: dict[str, str], fields: frozenset[str]) -> dict[str, str]:
    for field in sources:
        if field not in fields:
            known = ", ".join(sorted(fields))
            raise ValueError(f"{field!r} is not a field that takes a source (one of: {known})")
    return sources


class Cluster(_Model):
    name: Text
    about: Text
    employer: Text
    contacts: Text | None = None
    source: Source | None = None


class Campaign(_Model):
    """One admission campaign; all dates are local (Asia/Krasnoyarsk)."""

    year: Annotated[int, Field(ge=2020, le=2100)]
    # The rules set only the latest day acceptance may start («не позднее 20 июня»): until a
    # college gives its own date, ``acceptance_start`` is that deadline and the bot says so.
    acceptance_start: date
    acceptance_start_exact: bool = False
    acceptance_end: date
    acceptance_end_with_tests: date
    originals_deadline: date
    enrollment_order: date | None = None
    extra_acceptance_end: date | None = None
    gosuslugi_pilot: bool | None = None  # applying on Gosuslugi: yes / no / not known yet
    confirmed: bool = False
    source: Source | None = None
    sources: dict[str, Source] = {}

    SOURCED: ClassVar[frozenset[str]] = frozenset(
        {
            "acceptance_start",
            "acceptance_end",
            "acceptance_end_with_tests",
            "originals_deadline",
            "enrollment_order",
            "extra_acceptance_end",
            "gosuslugi_pilot",
        }
    )

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_sources(value, cls.SOURCED)

    @property
    def last_day(self) -> date:
        return max(
            d
            for d in (
                self.acceptance_end,
                self.originals_deadline,
                self.enrollment_order,
                self.extra_acceptance_end,
            )
            if d is not None
        )


class College(_Model):
    id: str
    name: Text
    short_name: ShortText
    city: Text
    # The full official name (with its legal form), as the operator of personal data is named
    # in the consent (152-ФЗ ст. 9 ч. 4); «уточняется» until known.
    legal_name: Text | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    source: Source | None = None
    sources: dict[str, Source] = {}

    SOURCED: ClassVar[frozenset[str]] = frozenset(
        {"name", "legal_name", "address", "phone", "email", "website"}
    )

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_sources(value, cls.SOURCED)

    @field_validator("website")
    @classmethod
    def _website_is_a_link(cls, value: str | None) -> str | None:
        """A link applicants can open: http(s), a host with a dot, no spaces."""
        if value is not None and not _WEBSITE.fullmatch(value):
            raise ValueError(f"{value!r} is not a link like https://college.ru")
        return value

    @field_validator("email")
    @classmethod
    def _email_is_an_address(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            return parse_email(value)
        except Invalid:
            raise ValueError(f"{value!r} is not an e-mail address") from None

    @field_validator("id")
    @classmethod
    def _id_is_slug(cls, value: str) -> str:
        if not _COLLEGE_ID.match(value):
            raise ValueError(f"{value!r} is not an id of 1-16 characters a-z, 0-9, '-'")
        return value


class Specialty(_Model):
    code: str
    # Codes of standards this one replaced (15.02.12 → 15.02.17): found by the search, and a
    # stored application or subscription with a former code still finds its specialty.
    former_codes: list[str] = []
    name: Text
    short_name: ShortText
    kind: SpecialtyKind
    qualification: Text | None = None
    colleges: list[str] = []
    education_base: list[int] = []
    duration: Text | None = None
    form_of_study: StudyForm | None = None
    budget_places: Annotated[int, Field(ge=0, le=10000)] | None = None
    entrance_tests: bool | None = None  # None: not known yet («уточняется»)
    medical_certificate: bool | None = None
    new_programme: bool = False
    # Whether a source confirms the specialty is one of the cluster's (needs ``source``).
    confirmed: bool = False
    source: Source | None = None
    sources: dict[str, Source] = {}
    description: Text | None = None
    career: Text | None = None

    # Fields stated as fact on the card: each needs a source when set. ``code`` stands for
    # the code and the official name (checked against the list of СПО specialties).
    SOURCED: ClassVar[frozenset[str]] = frozenset(
        {
            "code",
            "qualification",
            "colleges",
            "education_base",
            "duration",
            "form_of_study",
            "budget_places",
            "entrance_tests",
            "medical_certificate",
            "new_programme",
        }
    )

    @field_validator("code")
    @classmethod
    def _code_is_fgos(cls, value: str) -> str:
        if not _FGOS_CODE.match(value):
            raise ValueError(f"{value!r} is not a FGOS code NN.NN.NN")
        return value

    @field_validator("former_codes")
    @classmethod
    def _former_codes_are_fgos(cls, value: list[str]) -> list[str]:
        for code in value:
            if not _FGOS_CODE.match(code):
                raise ValueError(f"{code!r} is not a FGOS code NN.NN.NN")
        if len(set(value)) != len(value):
            raise ValueError("a former code is listed twice")
        return value

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_sources(value, cls.SOURCED)

    @model_validator(mode="after")
    def _confirmed_has_a_source(self) -> Specialty:
        if self.confirmed and not self.source:
            raise ValueError("confirmed = true needs the source that confirms it (source = ...)")
        if self.code in self.former_codes:
            raise ValueError(f"former_codes repeats the current code {self.code}")
        return self

    @property
    def codes(self) -> tuple[str, ...]:
        """The current code first, then the former ones."""
        return (self.code, *self.former_codes)

    @field_validator("education_base")
    @classmethod
    def _base_is_9_or_11(cls, value: list[int]) -> list[int]:
        for base in value:
            if base not in (9, 11):
                raise ValueError(f"{base!r} is not an education base (9 or 11 classes)")
        if len(set(value)) != len(value):
            raise ValueError("an education base is listed twice")
        return sorted(value)


class EventKind(StrEnum):
    open_day = "open_day"  # день открытых дверей
    excursion = "excursion"  # экскурсия (на производство)
    career_test = "career_test"  # профпроба
    online = "online"  # онлайн-встреча


class Audience(StrEnum):
    """Who may come to an event."""

    grade9 = "grade9"  # 9th graders
    grade11 = "grade11"  # 11th graders
    parents = "parents"


class EventTitle(Text):
    ru: Annotated[str, Field(min_length=1, max_length=120)]
    en: Annotated[str, Field(min_length=1, max_length=120)] | None = None


class Event(_Model):
    """An open day, an excursion, a профпроба or an online meeting applicants register for.

    ``start``, ``end`` and ``registration_deadline`` are local times of the cluster's zone
    (Asia/Krasnoyarsk), without an offset; registration closes at the deadline, or at the
    start when there is none. ``seats`` None: no limit. A cancelled event stays in the
    catalogue (its registrations are told, and see it as cancelled).
    """

    id: str
    title: EventTitle
    kind: EventKind
    college: str | None = None
    specialties: list[str] = []
    place: Text | None = None
    start: datetime
    end: datetime
    seats: Annotated[int, Field(ge=1, le=100000)] | None = None
    audience: list[Audience] = []
    bring: Text | None = None
    registration_deadline: datetime | None = None
    description: Text | None = None
    cancelled: bool = False
    source: Source | None = None

    @field_validator("id")
    @classmethod
    def _id_is_slug(cls, value: str) -> str:
        if not _EVENT_ID.match(value):
            raise ValueError(f"{value!r} is not an id of 1-{EVENT_ID_MAX} characters a-z, 0-9, '-'")
        return value

    @field_validator("start", "end", "registration_deadline")
    @classmethod
    def _local_time(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError(
                f"{value.isoformat()}: write the local time without an offset "
                "(e.g. 2026-03-14T11:00:00, Asia/Krasnoyarsk)"
            )
        return None if value is None else value.replace(second=0, microsecond=0)

    @field_validator("specialties")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not _FGOS_CODE.match(code):
                raise ValueError(f"{code!r} is not a FGOS code NN.NN.NN")
        if len(set(value)) != len(value):
            raise ValueError("a specialty is listed twice")
        return value

    @field_validator("audience")
    @classmethod
    def _audience_once(cls, value: list[Audience]) -> list[Audience]:
        if len(set(value)) != len(value):
            raise ValueError("an audience is listed twice")
        return sorted(value, key=list(Audience).index)

    @model_validator(mode="after")
    def _times_in_order(self) -> Event:
        if self.end <= self.start:
            raise ValueError(
                f"end {self.end.isoformat()} is not after start {self.start.isoformat()}"
            )
        if self.registration_deadline is not None and self.registration_deadline > self.start:
            raise ValueError("registration_deadline is after the start")
        return self

    @property
    def closes_at(self) -> datetime:
        """When registration closes (local time)."""
        return self.registration_deadline or self.start

    def open_for_registration(self, local_now: datetime) -> bool:
        return not self.cancelled and local_now < self.closes_at

    def upcoming(self, local_now: datetime) -> bool:
        """Not cancelled and not over yet."""
        return not self.cancelled and local_now < self.end


class FaqEntry(_Model):
    question: Text
    answer: Text
    # Where the answer comes from; an answer without one says that it is being confirmed.
    source: Source | None = None


class Synonym(_Model):
    """What applicants type (slang, short forms, other spellings) and what it means in the
    catalogue's own words, for the search: «общага» → «общежитие»."""

    words: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=60)]], Field(min_length=1, max_length=50)
    ]
    means: Annotated[str, Field(min_length=1, max_length=120)]


class Catalog(_Model):
    schema_version: int
    documents: list[Text] = []
    documents_source: Source | None = None
    cluster: Cluster
    campaigns: Annotated[list[Campaign], Field(min_length=1)]
    colleges: list[College]
    specialties: Annotated[list[Specialty], Field(min_length=1)]
    faq: list[FaqEntry] = []
    synonyms: list[Synonym] = []
    events: list[Event] = []
    # English names of the sources, by the source as written (in Russian): an English-speaking
    # user reads «Source: Decree No. 697 of the Government of Russia…», not a Russian title.
    source_names: dict[Source, Source] = {}

    @field_validator("schema_version")
    @classmethod
    def _known_schema(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(f"schema_version {value} is not supported (expected {SCHEMA_VERSION})")
        return value

    # --- lookups used by the handlers -----------------------------------------------

    def specialty(self, code: str) -> Specialty | None:
        """The specialty of a code, or of a former code (an application stored before the
        standard changed still finds its specialty)."""
        found = next((s for s in self.specialties if s.code == code), None)
        return found or next((s for s in self.specialties if code in s.former_codes), None)

    def college(self, college_id: str) -> College | None:
        return next((c for c in self.colleges if c.id == college_id), None)

    def event(self, event_id: str) -> Event | None:
        return next((e for e in self.events if e.id == event_id), None)

    def upcoming_events(
        self, local_now: datetime, *, specialty: str = "", college: str = ""
    ) -> list[Event]:
        """Events not cancelled and not over at ``local_now`` (local time, naive), soonest
        first; of a specialty (by its current or a former code) or of a college when given."""
        codes = set(found.codes) if specialty and (found := self.specialty(specialty)) else set()
        if specialty and not codes:
            codes = {specialty}
        return sorted(
            (
                e
                for e in self.events
                if e.upcoming(local_now)
                and (not codes or codes & set(e.specialties))
                and (not college or e.college == college)
            ),
            key=lambda e: (e.start, e.id),
        )

    def specialties_of(self, college_id: str) -> list[Specialty]:
        return [s for s in self.specialties if college_id in s.colleges]

    def browse(self, college_id: str = "", base: int = 0) -> Browse:
        """Specialties taught at a college (``""`` = any) for an education base (0 = any).

        A specialty whose college or education base is not known yet is neither a match nor
        hidden: it is the ``unknown`` group (hiding it would tell the applicant it is not for
        them, counting it as a match would tell them it is; nobody knows yet). In each group
        the specialties confirmed as the cluster's come first, in the catalogue's order.
        """
        matches: list[Specialty] = []
        unknown: list[Specialty] = []
        for specialty in self.specialties:
            fits = (
                _fits(college_id, specialty.colleges),
                _fits(base, specialty.education_base),
            )
            if False in fits:
                continue
            (unknown if None in fits else matches).append(specialty)
        return Browse(_confirmed_first(matches), _confirmed_first(unknown))

    def applicable_specialties(self, base: int | None) -> list[Specialty]:
        """What an applicant with this education base (9, 11; ``None``/0: not answered yet)
        may choose in the form: those that admit it, and those whose base is not known yet
        (the form shows the note of :func:`unconfirmed` ones before the choice)."""
        found = self.browse("", base or 0)
        return found.matches + found.unknown

    def campaign_for(self, today: date) -> Campaign | None:
        """The campaign an applicant can apply to today: the earliest one not yet over (open,
        or upcoming). ``None`` once every campaign in the catalogue is over: then nothing may
        be accepted, since it would be stored under a campaign whose retention has begun."""
        ongoing = sorted((c for c in self.campaigns if c.last_day >= today), key=lambda c: c.year)
        return ongoing[0] if ongoing else None

    def recent_campaign(self, today: date) -> Campaign:
        """The campaign the staff work on: the one applicants apply to, or else the latest
        one (its applications stay until the retention period erases them)."""
        return self.campaign_for(today) or max(self.campaigns, key=lambda c: c.year)

    def campaign(self, year: int) -> Campaign | None:
        return next((c for c in self.campaigns if c.year == year), None)

    def accepts_changes(self, year: int, today: date) -> bool:
        """Whether an application of the campaign ``year`` may still be changed by its
        applicant: its campaign is in the catalogue and not over."""
        campaign = self.campaign(year)
        return campaign is not None and campaign.last_day >= today

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, raw: str) -> Catalog:
        return cls.model_validate_json(raw)


def _fits(wanted: str | int, known: list[str] | list[int]) -> bool | None:
    """Whether a filter value fits: True/False, or None when the value is not known yet."""
    if not wanted:
        return True
    if not known:
        return None
    return wanted in known


def _confirmed_first(specialties: list[Specialty]) -> list[Specialty]:
    return sorted(specialties, key=lambda s: not s.confirmed)  # stable: catalogue order kept


@dataclass(frozen=True, slots=True)
class Browse:
    """The result of a filter: what surely matches, and what is not known yet."""

    matches: list[Specialty]
    unknown: list[Specialty]

    @property
    def all(self) -> list[Specialty]:
        """Matches first, then the unknown group: the order of the list on screen."""
        return self.matches + self.unknown


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a catalogue file, with its place."""

    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}" if self.place else self.message


def _place(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _pydantic_problems(error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field (a typo?)"
        elif item["type"] == "missing":
            message = "required field is missing"
        problems.append(Problem(_place(item["loc"]), message))
    return problems


def _entries(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [item if isinstance(item, dict) else {} for item in value]


def _duplicates(items: list[dict[str, Any]], section: str, field: str) -> list[Problem]:
    problems = []
    seen: dict[Any, int] = {}
    for i, item in enumerate(items):
        value = item.get(field)
        if value is None or isinstance(value, (dict, list)):
            continue
        if value in seen:
            problems.append(
                Problem(f"{section}[{i}].{field}", f"{value!r} repeats {section}[{seen[value]}]")
            )
        else:
            seen[value] = i
    return problems


def _former_code_clashes(specialties: list[dict[str, Any]]) -> list[Problem]:
    """A former code names one specialty only, and never one that is current."""
    current = {
        s.get("code"): i for i, s in enumerate(specialties) if isinstance(s.get("code"), str)
    }
    seen: dict[str, int] = {}
    problems = []
    for i, specialty in enumerate(specialties):
        former = specialty.get("former_codes")
        for j, code in enumerate(former if isinstance(former, list) else []):
            if not isinstance(code, str):
                continue
            place = f"specialties[{i}].former_codes[{j}]"
            if code in current and current[code] != i:
                problems.append(
                    Problem(place, f"{code} is the code of specialties[{current[code]}]")
                )
            elif code in seen and seen[code] != i:
                problems.append(
                    Problem(place, f"{code} is a former code of specialties[{seen[code]}] too")
                )
            seen.setdefault(code, i)
    return problems


def _cross_checks(data: dict[str, Any]) -> list[Problem]:
    """Rules that span several entries: unique ids, references, date order.

    They read the raw data defensively, so they are reported together with the problems of
    single fields: whoever edits the file sees everything in one run.
    """
    specialties = _entries(data, "specialties")
    colleges = _entries(data, "colleges")
    campaigns = _entries(data, "campaigns")
    problems = _duplicates(specialties, "specialties", "code")
    problems += _duplicates(colleges, "colleges", "id")
    problems += _duplicates(campaigns, "campaigns", "year")
    problems += _event_checks(_entries(data, "events"), colleges, specialties)
    problems += _synonym_checks(_entries(data, "synonyms"))
    problems += _former_code_clashes(specialties)
    college_ids = {c.get("id") for c in colleges}
    for i, specialty in enumerate(specialties):
        refs = specialty.get("colleges")
        for j, college_id in enumerate(refs if isinstance(refs, list) else []):
            if isinstance(college_id, str) and college_id not in college_ids:
                problems.append(
                    Problem(f"specialties[{i}].colleges[{j}]", f"unknown college {college_id!r}")
                )
    for i, campaign in enumerate(campaigns):
        where = f"campaigns[{i}]"
        year = campaign.get("year")
        dates = {k: v for k, v in campaign.items() if type(v) is date}
        for field in ("acceptance_start", "acceptance_end", "acceptance_end_with_tests"):
            value = dates.get(field)
            if value and isinstance(year, int) and value.year != year:
                problems.append(Problem(f"{where}.{field}", f"{value} is not in the year {year}"))
        order = [
            ("acceptance_start", "acceptance_end"),
            ("acceptance_start", "acceptance_end_with_tests"),
            ("acceptance_start", "originals_deadline"),
            ("originals_deadline", "enrollment_order"),
            ("acceptance_end", "extra_acceptance_end"),
        ]
        for earlier, later in order:
            first, second = dates.get(earlier), dates.get(later)
            if first and second and second < first:
                problems.append(
                    Problem(f"{where}.{later}", f"{second} is before {earlier} {first}")
                )
    return problems


def _event_checks(
    events: list[dict[str, Any]], colleges: list[dict[str, Any]], specialties: list[dict[str, Any]]
) -> list[Problem]:
    """Unique event ids; an event's college and specialties are the catalogue's (a former code
    names its specialty too)."""
    problems = _duplicates(events, "events", "id")
    college_ids = {c.get("id") for c in colleges}
    codes: set[Any] = {s.get("code") for s in specialties}
    for s in specialties:
        former = s.get("former_codes")
        codes.update(former if isinstance(former, list) else [])
    for i, event in enumerate(events):
        college = event.get("college")
        if isinstance(college, str) and college not in college_ids:
            problems.append(Problem(f"events[{i}].college", f"unknown college {college!r}"))
        refs = event.get("specialties")
        for j, code in enumerate(refs if isinstance(refs, list) else []):
            if isinstance(code, str) and code not in codes:
                problems.append(
                    Problem(f"events[{i}].specialties[{j}]", f"unknown specialty {code!r}")
                )
    return problems


def _synonym_checks(synonyms: list[dict[str, Any]]) -> list[Problem]:
    """A typed phrase may mean one thing only: the second entry that lists it is reported."""
    problems = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(synonyms):
        words = entry.get("words")
        for j, word in enumerate(words if isinstance(words, list) else []):
            if not isinstance(word, str):
                continue
            key = " ".join(word.casefold().replace("ё", "е").split())
            if key in seen and seen[key] != i:
                problems.append(
                    Problem(f"synonyms[{i}].words[{j}]", f"{word!r} repeats synonyms[{seen[key]}]")
                )
            seen.setdefault(key, i)
    return problems


def parse_catalog(raw: bytes | str) -> tuple[Catalog | None, list[Problem]]:
    """Validate a TOML catalogue; return it, or ``None`` and every problem found."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, [Problem("", f"the file is not UTF-8 text (byte {exc.start})")]
    # tomllib parses nested arrays and tables by recursion: a file nested thousands deep
    # exhausts the stack (RecursionError), and an integer of thousands of digits is refused
    # by int() (ValueError). Either is one problem of the file, not a traceback.
    too_deep = Problem("", "the file is nested too deeply to be a catalogue")
    try:
        data: dict[str, Any] = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        return None, [Problem("", f"TOML syntax error: {exc}")]
    except RecursionError:
        return None, [too_deep]
    except ValueError as exc:
        return None, [Problem("", f"a TOML value cannot be read: {exc}")]
    try:
        return validate_catalog_data(data)
    except RecursionError:
        return None, [too_deep]


def validate_catalog_data(data: dict[str, Any]) -> tuple[Catalog | None, list[Problem]]:
    """Validate a catalogue read from any form (a TOML file, a workbook): the catalogue, or
    ``None`` and every problem, each with its place (``specialties[3].code``)."""
    problems = _cross_checks(data)
    try:
        catalog = Catalog.model_validate(data)
    except ValidationError as exc:
        return None, _pydantic_problems(exc) + problems
    return (None, problems) if problems else (catalog, [])


def _unsourced(item: BaseModel, place: str, fields: frozenset[str]) -> list[Problem]:
    if getattr(item, "source", None):
        return []
    sources: dict[str, str] = getattr(item, "sources", {})
    problems = []
    for field in sorted(fields):
        if field in ("code", "name"):
            continue  # an item's identity, not a fact shown as one
        value = getattr(item, field)
        # ``None`` and ``[]`` are «уточняется»; ``new_programme = false`` states nothing, while
        # ``entrance_tests = false`` or ``medical_certificate = false`` state a «no».
        stated = value not in (None, []) and not (field == "new_programme" and value is False)
        if not stated or field in sources:
            continue
        problems.append(
            Problem(f"{place}.{field}", f"no source: add sources.{field} or the item's source")
        )
    return problems


def unsourced_values(catalog: Catalog) -> list[Problem]:
    """Values stated as fact without a source: neither the item's ``source`` nor
    ``sources.<field>``. Not an error of the file (``catalog check`` lists them as warnings),
    but the shipped catalogue has none: a value without a source is to be left out, and the
    bot shows «уточняется»."""
    problems: list[Problem] = []
    for i, specialty in enumerate(catalog.specialties):
        problems += _unsourced(specialty, f"specialties[{i}]", Specialty.SOURCED)
    for i, college in enumerate(catalog.colleges):
        problems += _unsourced(college, f"colleges[{i}]", College.SOURCED)
    for i, campaign in enumerate(catalog.campaigns):
        problems += _unsourced(campaign, f"campaigns[{i}]", Campaign.SOURCED)
    for i, event in enumerate(catalog.events):
        if not event.source:
            problems.append(Problem(f"events[{i}]", "no source: add the event's source"))
    if catalog.documents and not catalog.documents_source:
        problems.append(Problem("documents", "no source: add documents_source"))
    return problems


def sources_of(catalog: Catalog) -> set[str]:
    """Every source the catalogue names (of an item, of one field, of the documents)."""
    found = {catalog.documents_source} if catalog.documents_source else set()
    items: list[BaseModel] = [
        catalog.cluster, *catalog.campaigns, *catalog.colleges, *catalog.specialties,
        *catalog.faq, *catalog.events,
    ]  # fmt: skip
    for item in items:
        if source := getattr(item, "source", None):
            found.add(source)
        found.update(getattr(item, "sources", {}).values())
    return found


def untranslated_sources(catalog: Catalog) -> list[Problem]:
    """Sources without an English name in ``source_names``: an English-speaking user would read
    them in Russian. A warning of ``catalog check``; the shipped catalogue has none."""
    return [
        Problem("source_names", f"no English name for the source «{source}»")
        for source in sorted(sources_of(catalog) - set(catalog.source_names))
    ]


def read_catalog_file(path: str | Path) -> tuple[Catalog | None, list[Problem], bytes]:
    """Read and validate a catalogue file; problems include an unreadable file."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return None, [Problem("", f"cannot read {path}: {exc.strerror or exc}")], b""
    catalog, problems = parse_catalog(raw)
    return catalog, problems, raw


def default_catalog_bytes() -> bytes:
    """The catalogue shipped with the package (``bot/data/catalog.toml``)."""
    return resources.files("bot").joinpath("data", "catalog.toml").read_bytes()


def catalog_as_dict(catalog: Catalog) -> dict[str, Any]:
    return json.loads(catalog.to_json())

"""The cluster's content as data: colleges, specialties, campaign calendar, FAQ.

The catalogue is one human-editable TOML file validated by the pydantic models below.
Problems are reported with their place in the file, e.g.
``specialties[3].code: '22.2.08' is not a FGOS code NN.NN.NN``.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SCHEMA_VERSION = 1
LANGUAGES = ("ru", "en")

_FGOS_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")
_COLLEGE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,15}$")


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


class Cluster(_Model):
    name: Text
    about: Text
    employer: Text
    contacts: Text | None = None


class Campaign(_Model):
    """One admission campaign; all dates are local (Asia/Krasnoyarsk)."""

    year: Annotated[int, Field(ge=2020, le=2100)]
    acceptance_start: date
    acceptance_end: date
    acceptance_end_with_tests: date
    originals_deadline: date
    enrollment_order: date | None = None
    extra_acceptance_end: date | None = None
    gosuslugi_pilot: bool | None = None  # applying on Gosuslugi: yes / no / not known yet
    confirmed: bool = False

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
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None

    @field_validator("id")
    @classmethod
    def _id_is_slug(cls, value: str) -> str:
        if not _COLLEGE_ID.match(value):
            raise ValueError(f"{value!r} is not an id of 1-16 characters a-z, 0-9, '-'")
        return value


class Specialty(_Model):
    code: str
    # Codes this specialty had under older standards: still found by the search.
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
    entrance_tests: bool = False
    medical_certificate: bool | None = None
    new_programme: bool = False
    confirmed: bool = False
    description: Text | None = None
    career: Text | None = None

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
        return value

    @field_validator("education_base")
    @classmethod
    def _base_is_9_or_11(cls, value: list[int]) -> list[int]:
        for base in value:
            if base not in (9, 11):
                raise ValueError(f"{base!r} is not an education base (9 or 11 classes)")
        if len(set(value)) != len(value):
            raise ValueError("an education base is listed twice")
        return sorted(value)


class FaqEntry(_Model):
    question: Text
    answer: Text


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
    cluster: Cluster
    campaigns: Annotated[list[Campaign], Field(min_length=1)]
    colleges: list[College]
    specialties: Annotated[list[Specialty], Field(min_length=1)]
    faq: list[FaqEntry] = []
    synonyms: list[Synonym] = []

    @field_validator("schema_version")
    @classmethod
    def _known_schema(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(f"schema_version {value} is not supported (expected {SCHEMA_VERSION})")
        return value

    # --- lookups used by the handlers -----------------------------------------------

    def specialty(self, code: str) -> Specialty | None:
        return next((s for s in self.specialties if s.code == code), None)

    def college(self, college_id: str) -> College | None:
        return next((c for c in self.colleges if c.id == college_id), None)

    def specialties_of(self, college_id: str) -> list[Specialty]:
        return [s for s in self.specialties if college_id in s.colleges]

    def filter_specialties(self, college_id: str = "", base: int = 0) -> list[Specialty]:
        """Specialties taught at a college (``""`` = any) for an education base (0 = any).

        A specialty whose education base is not yet known is kept by the base filter:
        hiding it would tell the applicant it is not for them, which nobody knows yet.
        """
        return [
            s
            for s in self.specialties
            if (not college_id or college_id in s.colleges)
            and (not base or not s.education_base or base in s.education_base)
        ]

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
    problems += _synonym_checks(_entries(data, "synonyms"))
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
        problems = _cross_checks(data)
        catalog = Catalog.model_validate(data)
    except ValidationError as exc:
        return None, _pydantic_problems(exc) + problems
    except RecursionError:
        return None, [too_deep]
    return (None, problems) if problems else (catalog, [])


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

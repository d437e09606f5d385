"""The unfinished application: the answers given so far and where the applicant is in the form.

A draft is personal data like the application it becomes: it is kept apart from every other
dialogue (a search, a question, a student registration), so that those can end without
touching it, and it goes when the form is submitted, cancelled, or left for the retention
period. No aiogram here: the handlers store it as JSON (``to_json`` / ``from_json``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from bot.domain.applications import file_cap_reached
from db.applications import Application, ApplicationData, DocumentRef


class DraftFile(BaseModel):
    """One file received in a dialogue, not yet part of an application."""

    kind: str
    file_id: str
    file_unique_id: str
    content_type: str
    file_size: int | None = None
    added_at: datetime

    @classmethod
    def of(cls, ref: DocumentRef, added_at: datetime) -> DraftFile:
        return cls(
            kind=ref.kind,
            file_id=ref.file_id,
            file_unique_id=ref.file_unique_id,
            content_type=ref.content_type,
            file_size=ref.file_size,
            added_at=added_at,
        )

    def ref(self) -> DocumentRef:
        return DocumentRef(
            kind=self.kind,
            file_id=self.file_id,
            file_unique_id=self.file_unique_id,
            content_type=self.content_type,
            file_size=self.file_size,
        )


# The fields of a draft that are answers (the others say where the applicant is).
ANSWERS = frozenset(
    {
        "minor",
        "full_name",
        "birth_date",
        "phone",
        "email",
        "education_base",
        "average_score",
        "specialties",
        "dormitory",
        "channel",
        "documents",
    }
)


class Draft(BaseModel):
    """Each answer is ``None`` until given (the e-mail is ``""`` when the applicant has none)."""

    minor: bool | None = None
    full_name: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    email: str | None = None
    education_base: int | None = None
    average_score: Decimal | None = None
    specialties: list[str] = Field(default_factory=list)
    dormitory: bool | None = None
    channel: str | None = None
    documents: list[DraftFile] = Field(default_factory=list)

    # Where the applicant is, within the form's current step.
    doc_kind: str | None = None  # the document asked for on the documents step
    documents_done: bool = False  # the documents step was gone through (files or «Later»)
    # The album (Telegram's media group) of the latest file and the document it went to: the
    # other photos of an album sent at once are pages of that same document.
    album: str | None = None
    last_kind: str | None = None
    editing: bool = False  # one answer changed from the review: back to the review after it
    pending_score: Decimal | None = None  # a score below 3, waiting to be confirmed
    pending_birth_date: date | None = None  # under 14: waits for the representative to confirm
    representative: bool = False  # a parent or legal representative applies (under 14)
    preselect: str = ""  # the specialty whose card «Apply» was pressed on
    application_id: int | None = None  # changing the answers of a submitted application
    # The kinds of the files a submitted application has (one per file), for its review.
    submitted_documents: list[str] = Field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """What the dialogue storage keeps: only what differs from an empty draft."""
        return self.model_dump(mode="json", exclude_defaults=True)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Draft:
        return cls.model_validate(data)

    def is_blank(self) -> bool:
        """No answer given yet."""
        return not self.model_dump(include=set(ANSWERS), exclude_defaults=True)

    @classmethod
    def of_application(cls, application: Application) -> Draft:
        """The answers of a submitted application, as a draft to change them."""
        data = application.data
        return cls(
            application_id=application.id,
            submitted_documents=[d.kind for d in application.documents],
            minor=data.minor,
            full_name=data.full_name,
            birth_date=data.birth_date,
            phone=data.phone,
            email=data.email or "",
            education_base=data.education_base,
            average_score=data.average_score,
            specialties=list(data.specialties),
            dormitory=data.dormitory,
            channel=data.channel,
        )

    def document_kinds(self) -> list[str]:
        """One kind per file: those received in the form, or the submitted application's."""
        if self.application_id is not None:
            return list(self.submitted_documents)
        return [d.kind for d in self.documents]

    def application_data(self) -> ApplicationData:
        """The answers as an application; every required answer must be there."""
        if (
            self.full_name is None
            or self.birth_date is None
            or self.phone is None
            or self.education_base is None
            or self.average_score is None
            or self.dormitory is None
            or self.channel is None
        ):
            raise ValueError("the draft lacks a required answer")
        return ApplicationData(
            full_name=self.full_name,
            birth_date=self.birth_date,
            phone=self.phone,
            email=self.email or None,
            education_base=self.education_base,
            average_score=self.average_score,
            specialties=tuple(self.specialties),
            dormitory=self.dormitory,
            channel=self.channel,
            minor=bool(self.minor),
        )

    def document_refs(self) -> list[DocumentRef]:
        """The files to submit with the application, within the caps (a draft from before the
        caps may hold more files than an application takes)."""
        kept: list[DocumentRef] = []
        for file in self.documents:
            if file_cap_reached([k.kind for k in kept], file.kind) is None:
                kept.append(file.ref())
        return kept

"""The congratulation on enrolment, sent as the status notice of an enrolled application."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from bot.domain.applications import needs_medical
from bot.domain.catalog import Catalog
from db.applications import Application
from handlers.ui import current_language, fmt_date, fmt_number, h, unknown


def enrolled_text(application: Application, specialty_code: str | None, catalog: Catalog) -> str:
    """The congratulation on enrolment: the specialty and its college, and what comes next.
    ``specialty_code`` is the specialty enrolled in (the enrolment order's); without it, the
    only one chosen, else the admission office names it."""
    lang = current_language()
    codes = application.data.specialties
    code = specialty_code or (codes[0] if len(codes) == 1 else None)
    specialty = catalog.specialty(code) if code else None
    lines = [
        _("🎉 <b>Congratulations! You are enrolled.</b>"),
        _("Application {number}.").format(number=fmt_number(application.number)),
        "",
    ]
    if specialty is not None:
        lines.append(
            _("Specialty: {code} {name}").format(
                code=specialty.code, name=h(specialty.name.get(lang))
            )
        )
        colleges = [c for c in (catalog.college(i) for i in specialty.colleges) if c]
        lines.append(
            _("College: {college}").format(
                college=", ".join(h(c.name.get(lang)) for c in colleges) if colleges else unknown()
            )
        )
    else:
        lines.append(_("The admission office will tell you the specialty and the college."))
    campaign = catalog.campaign(application.campaign_year)
    lines += ["", _("<b>What comes next</b>")]
    if campaign is not None and campaign.enrollment_order:
        lines.append(
            _("• The enrolment order is published on {date}.").format(
                date=fmt_date(campaign.enrollment_order)
            )
        )
    else:
        lines.append(_("• The college publishes the enrolment order; its date is being confirmed."))
    if not application.original_received:
        lines.append(
            _("• Bring the original of your education certificate to the college as soon as "
              "you can: the enrolment needs it.")
        )  # fmt: skip
    if code and needs_medical(catalog, [code]) and not application.medical_received:
        lines.append(
            _("• Your specialty needs a medical certificate (form 086/u): bring it to the "
              "college.")
        )  # fmt: skip
    lines += [
        _("• The college will tell you when classes start and what else it needs from you."),
        _("• Questions? Ask the admission office here, in «❓ Questions and contacts»."),
    ]
    return "\n".join(lines)

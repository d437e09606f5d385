"""The catalogue workbook edited as staff would in Excel, for the tests of the workbook, of
/catalog and of the shell's ``catalog load``."""

from __future__ import annotations

import io

import openpyxl

# Rows of the shipped catalogue in its workbook (the header is row 1).
METALLURGY = 2  # 22.02.08 on «Специальности»
POWER = 9  # 13.02.07 on «Специальности»
CAMPAIGN_2027 = 3  # on «Даты приёма»


def edit(content: bytes, changes: dict[tuple[str, int, str], object]) -> bytes:
    """Set cells by (sheet, row, header), as staff would in Excel; a header may be renamed."""
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    for (title, row, header), value in changes.items():
        sheet = workbook[title]
        headers = [cell.value for cell in sheet[1]]
        sheet.cell(row=row, column=headers.index(header) + 1).value = value
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

"""QR codes and printable posters (A4, PNG and PDF) of the bot's deep links.

The QR code is made by ``segno``; the poster is drawn on its own matplotlib Figure with the Agg
canvas (never pyplot's global state), its QR code as exact square modules. No aiogram here:
the handler passes the texts in. CPU-bound: call through ``asyncio.to_thread``.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from typing import Literal

import segno
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

A4_INCHES = (8.27, 11.69)
POSTER_DPI = 150  # 1240 × 1754 pixels: sharp on paper, small enough to send
QR_BORDER = 4  # the quiet zone around the code, in modules (the standard's minimum)


def qr_png(data: str, scale: int = 10) -> bytes:
    """A QR code as a PNG, ``scale`` pixels a module, with its quiet zone."""
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="png", scale=scale, border=QR_BORDER)
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class PosterTexts:
    """What a poster says: its title, a short text, and a line under the code (the link)."""

    title: str
    text: str
    footer: str
    label: str = ""  # the source label, small in a corner, so the staff tell posters apart


def _modules(data: str) -> list[list[int]]:
    """The code's modules (1: dark) with the quiet zone around them."""
    rows = [
        [0] * QR_BORDER + list(row) + [0] * QR_BORDER for row in segno.make(data, error="m").matrix
    ]
    blank = [0] * len(rows[0])
    return [blank] * QR_BORDER + rows + [blank] * QR_BORDER


def poster(url: str, texts: PosterTexts, kind: Literal["png", "pdf"]) -> bytes:
    """An A4 portrait page: the title, the QR code of ``url`` in the middle, the text, the
    link under it."""
    figure = Figure(figsize=A4_INCHES, dpi=POSTER_DPI)
    FigureCanvasAgg(figure)
    figure.patch.set_facecolor("white")
    title = "\n".join(textwrap.wrap(texts.title, 28)[:4])
    figure.text(
        0.5, 0.93, title, ha="center", va="top", fontsize=30, fontweight="bold", linespacing=1.2
    )
    # A square area (the page is taller than wide): 60% of its width.
    width = 0.6
    height = width * A4_INCHES[0] / A4_INCHES[1]
    axes = figure.add_axes((0.5 - width / 2, 0.28, width, height))
    axes.imshow(_modules(url), cmap="binary", interpolation="nearest", vmin=0, vmax=1)
    axes.set_axis_off()
    text = "\n".join(textwrap.wrap(texts.text, 48)[:5])
    figure.text(0.5, 0.25, text, ha="center", va="top", fontsize=16, linespacing=1.3)
    figure.text(0.5, 0.08, texts.footer, ha="center", va="bottom", fontsize=11, color="#444444")
    if texts.label:
        figure.text(
            0.97, 0.02, texts.label[:60], ha="right", va="bottom", fontsize=8, color="#888888"
        )
    out = io.BytesIO()
    figure.savefig(out, format=kind, dpi=POSTER_DPI, facecolor="white")
    return out.getvalue()

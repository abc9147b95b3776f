"""Horizontal bar charts as inline SVG, for the audit's report.

In: a title and labelled counts, each bar (or each part of a stacked bar) with its colour.
Out: one `<svg>` element with a text alternative (its `title`, and `aria-label`), each
label at the left of its bar in lines that fit the space there (never cut: a long rule
id or program name is broken after a hyphen or a space), each count at its bar's end.
The type is styled by the page (`svg text`); the layout assumes `CHART_TYPE` pixels.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from html import escape

# The charts' type size, the space left of the bars for a label and the widest a line
# of it may be (a label's lines are broken to fit, never cut), in pixels.
CHART_TYPE = 13
LABEL_AREA = 230
LABEL_PIXELS = LABEL_AREA - 14
BAR_AREA = 420
LINE_HEIGHT = 15
# Characters at most 0.42 of the type size wide in those fonts.
NARROW = frozenset("ijlftr.,:;'!|()[]- ")


def bar_chart(title: str, bars: Sequence[tuple[str, int, str]]) -> str:
    """One bar per (label, count, colour), its count at its end."""
    most = max((n for _, n, _ in bars), default=0) or 1
    heights = _row_heights([label for label, _, _ in bars])
    shapes = []
    y = 5
    for (label, n, colour), row_height in zip(bars, heights, strict=True):
        middle = y + row_height / 2
        length = round(BAR_AREA * n / most)
        shapes.append(
            _label(middle, label)
            + f'<rect x="{LABEL_AREA}" y="{middle - 9:.1f}" width="{length}" height="18" fill="{colour}"/>'
            f'<text x="{LABEL_AREA + length + 6}" y="{middle + 4.5:.1f}">{n:,}</text>'
        )
        y += row_height
    return _svg(f"{title}: bar chart", title, sum(heights), shapes)


def stacked_bar_chart(title: str, rows: Sequence[tuple[str, Sequence[tuple[int, str, str]]]]) -> str:
    """One bar per (label, parts), each part a (count, colour, name) laid end to end,
    named in a tooltip; the row's total at its end."""
    most = max((sum(n for n, _, _ in parts) for _, parts in rows), default=0) or 1
    heights = _row_heights([label for label, _ in rows])
    shapes = []
    y = 5
    for (label, parts), row_height in zip(rows, heights, strict=True):
        middle = y + row_height / 2
        x = float(LABEL_AREA)
        shapes.append(_label(middle, label))
        for n, colour, name in parts:
            if not n:
                continue
            length = BAR_AREA * n / most
            shapes.append(
                f'<rect x="{x:.1f}" y="{middle - 9:.1f}" width="{length:.1f}" height="18" '
                f'fill="{colour}"><title>{escape(name)}: {n:,}</title></rect>'
            )
            x += length
        shapes.append(f'<text x="{x + 6:.1f}" y="{middle + 4.5:.1f}">{sum(n for n, _, _ in parts):,}</text>')
        y += row_height
    return _svg(f"{title}: stacked bar chart", title, sum(heights), shapes)


def label_lines(label: str, width: float = LABEL_PIXELS) -> list[str]:
    """A chart label in lines that fit `width` pixels by `guessed_width`, broken after a
    hyphen, a space, a slash or an underscore where one is, and inside a longer word
    where none is; joined again they are the label."""
    lines: list[str] = []
    rest = label
    while guessed_width(rest) > width:
        fits = 1
        while fits < len(rest) and guessed_width(rest[: fits + 1]) <= width:
            fits += 1
        cut = max(rest.rfind(mark, 0, fits) for mark in "- /_") + 1
        cut = cut if cut > 0 else fits
        lines.append(rest[:cut])
        rest = rest[cut:]
    return [*lines, rest]


def guessed_width(text: str) -> float:
    """The width of `text` in the charts' type, in pixels, guessed on the wide side of
    common sans-serif fonts (DejaVu Sans, Segoe UI, Helvetica) so that a label fits."""
    ems = 0.0
    for character in text.rstrip():
        if unicodedata.east_asian_width(character) in "WF" or character in "MWm@%":
            ems += 1.0
        elif character.isupper() or character.isdigit() or character == "w":
            ems += 0.82
        elif character in NARROW:
            ems += 0.42
        else:
            ems += 0.64
    return ems * CHART_TYPE


def _label(middle: float, label: str) -> str:
    """A label ending left of the bars, its lines centred on `middle`."""
    lines = label_lines(label)
    first = middle + 4.5 - (len(lines) - 1) * LINE_HEIGHT / 2
    spans = "".join(
        f'<tspan x="{LABEL_AREA - 8}" y="{first + n * LINE_HEIGHT:.1f}">{escape(line.rstrip())}</tspan>'
        for n, line in enumerate(lines)
    )
    return f'<text text-anchor="end">{spans}</text>'


def _row_heights(labels: Sequence[str]) -> list[int]:
    """Each bar's row: room for its label's lines, and never less than a bar and its gap."""
    return [max(26, LINE_HEIGHT * len(label_lines(label)) + 11) for label in labels]


def _svg(name: str, title: str, rows_height: int, shapes: Sequence[str]) -> str:
    width, height = LABEL_AREA + BAR_AREA + 90, rows_height + 10
    return (
        f'<svg role="img" aria-label="{escape(name)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">'
        f"<title>{escape(title)}</title>{''.join(shapes)}</svg>"
    )

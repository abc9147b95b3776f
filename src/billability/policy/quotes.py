"""Compare a rule's quote with the source text it claims to quote.

In: a quote and the source text.
Out: whether the quote is verbatim (white space folded), and when it is not, a hint
in the maintainer's words: when the quote matches a passage except for characters
that look alike (a right single quotation mark where the source has an apostrophe,
an en dash for a hyphen, an ellipsis for three full stops), each differing character
with its position; else the closest passage of the source.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

# Characters that look alike on screen but are not the same text: each maps to the
# plain form a quote is compared in. An empty form is an invisible character.
_LOOK_ALIKE = {
    # apostrophes and single quotation marks, primes, accents
    **dict.fromkeys("'\u2018\u2019\u201a\u201b\u2032`\u00b4", "'"),
    # double quotation marks, double primes, guillemets
    **dict.fromkeys('"\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb', '"'),
    # hyphens, dashes and the minus sign
    **dict.fromkeys("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    "\u2026": "...",  # horizontal ellipsis
    # zero-width spaces and joiners, word joiner, soft hyphen, byte order mark
    **dict.fromkeys("\u200b\u200c\u200d\u2060\u00ad\ufeff", ""),
}

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\t|\n|•")


def normalize(text: str) -> str:
    """Text with every run of white space folded to one space, for verbatim comparison."""
    return " ".join(text.split())


def is_verbatim(quote: str, source_text: str) -> bool:
    return normalize(quote) in normalize(source_text)


def mismatch_hint(quote: str, source_text: str) -> str:
    """What to change so that a quote that is not verbatim becomes so."""
    return _punctuation_hint(quote, source_text) or _closest_passage(quote, source_text)


@dataclass(frozen=True, slots=True)
class _Unit:
    """One character of a text (or one run of white space), where it is, and its plain form."""

    text: str
    position: int  # 1-based, in the text as written
    plain: str


def _units(text: str) -> list[_Unit]:
    """The text as units, white space folded as `normalize` folds it."""
    units: list[_Unit] = []
    for match in re.finditer(r"\s+|.", text, re.DOTALL):
        chunk = match.group()
        if chunk.isspace():
            if units:  # leading white space is dropped, as `normalize` does
                units.append(_Unit(chunk, match.start() + 1, " "))
            continue
        units.append(_Unit(chunk, match.start() + 1, _LOOK_ALIKE.get(chunk, chunk)))
    while units and units[-1].plain == " ":
        units.pop()
    return units


def _punctuation_hint(quote: str, source_text: str) -> str | None:
    """The differing characters, when the quote matches the source but for look-alikes."""
    quoted = _units(quote)
    plain_quote = "".join(u.plain for u in quoted)
    if not plain_quote.strip():
        return None
    source = _units(source_text)
    spans: list[tuple[int, int]] = []
    offset = 0
    for unit in source:
        spans.append((offset, offset + len(unit.plain)))
        offset += len(unit.plain)
    begin = "".join(u.plain for u in source).find(plain_quote)
    if begin < 0:
        return None
    end = begin + len(plain_quote)
    # The source units under the quote; invisible ones count only between two characters.
    matched = [
        unit
        for unit, (low, high) in zip(source, spans, strict=True)
        if ((low < end and high > begin) if unit.plain else begin < low < end)
    ]
    ours = [" " if u.plain == " " else u.text for u in quoted]
    theirs = [" " if u.plain == " " else u.text for u in matched]
    differences: list[str] = []
    for tag, q1, q2, s1, s2 in difflib.SequenceMatcher(None, ours, theirs, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        written = "".join(ours[q1:q2])
        theirs_text = "".join(theirs[s1:s2])
        if q1 < q2:
            differences.append(
                f"{_named(written)} at character {quoted[q1].position} where the source has {_named(theirs_text)}"
            )
        else:
            position = quoted[q1].position if q1 < len(quoted) else len(quote) + 1
            differences.append(f"before character {position} the source has {_named(theirs_text)}")
    if not differences:
        return None
    return "the quote differs from the source only in punctuation: " + "; ".join(differences)


def _named(text: str) -> str:
    if not text:
        return "nothing"
    names = ", ".join(unicodedata.name(c, f"U+{ord(c):04X}").lower() for c in text)
    shown = text if text.isprintable() and not text.isspace() else ""
    return f"`{shown}` ({names})" if shown else f"an invisible {names}"


def _closest_passage(quote: str, source_text: str) -> str:
    passages = [normalize(p) for p in _SENTENCE.split(source_text) if len(normalize(p)) > 3]
    close = difflib.get_close_matches(normalize(quote), passages, n=1, cutoff=0.5)
    if close:
        return f"the closest passage in the source is: {close[0]!r}"
    return "copy the words exactly from the source text"

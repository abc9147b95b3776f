"""Comparing a rule's quote with its source text: what counts as verbatim, and a hint that
names the characters a look-alike quote gets wrong."""

from __future__ import annotations

import re

import pytest

from billability.policy.quotes import is_verbatim, mismatch_hint

SOURCE = (
    "Call providers by phone on the client's behalf.\n"
    "Talking with a provider - by phone.\tHe said ... fine.\n"
    "Leaving a voice mail message."
)


@pytest.mark.parametrize(
    ("quote", "verbatim"),
    [
        ("Call providers by phone on the client's behalf.", True),
        ("  Call providers\n by   phone ", True),  # white space is folded
        ("Leaving a voice\u00a0mail message.", True),  # a no-break space is white space
        ("Call providers by phone on the client\u2019s behalf.", False),
        ("Call providers by fone", False),
    ],
)
def test_what_counts_as_verbatim(quote: str, verbatim: bool) -> None:
    assert is_verbatim(quote, SOURCE) is verbatim


@pytest.mark.parametrize(
    ("quote", "named"),
    [
        # (what the quote has, its position in the quote, what the source has there)
        ("Call providers by phone on the client\u2019s behalf.", [("`\u2019`", 38, "`'`")]),
        ("client\u2018s behalf", [("`\u2018`", 7, "`'`")]),
        ("Talking with a provider \u2013 by phone.", [("`\u2013`", 25, "`-`")]),
        ("a provider \u2014 by phone. He said \u2026 fine", [("`\u2014`", 12, "`-`"), ("`\u2026`", 32, "`...`")]),
        ("phone on the\u200b client's", [("zero width space", 13, "nothing")]),
    ],
)
def test_a_look_alike_quote_names_each_differing_character(quote: str, named: list[tuple[str, int, str]]) -> None:
    assert not is_verbatim(quote, SOURCE)
    differences = mismatch_hint(quote, SOURCE).split(": ", 1)[1].split("; ")
    assert len(differences) == len(named)
    for difference, (ours, position, theirs) in zip(differences, named, strict=True):
        pattern = f".*{re.escape(ours)}.* at character {position} where the source has {re.escape(theirs)}.*"
        assert re.fullmatch(pattern, difference), difference


def test_a_quote_with_an_extra_quotation_mark_shows_the_closest_passage() -> None:
    hint = mismatch_hint("on the client\u2019s behalf.\u201d", SOURCE)
    assert hint.startswith("the closest passage")


def test_the_hint_gives_each_character_its_name() -> None:
    hint = mismatch_hint("on the client\u2019s behalf", SOURCE)
    assert "(right single quotation mark)" in hint and "(apostrophe)" in hint


@pytest.mark.parametrize(
    ("quote", "closest"),
    [
        ("Talking with a provider by fone.", "Talking with a provider - by phone."),
        ("Leaving a voicemail message.", "Leaving a voice mail message."),
    ],
)
def test_other_mismatches_show_the_closest_passage(quote: str, closest: str) -> None:
    assert mismatch_hint(quote, SOURCE) == f"the closest passage in the source is: {closest!r}"


def test_a_quote_far_from_every_passage_is_told_to_copy() -> None:
    assert mismatch_hint("Entirely unrelated words", SOURCE) == "copy the words exactly from the source text"

"""The site's words as a reader meets them, for the tests that every abbreviation a page
writes is one the glossary defines.

In: a text (a page's, or the glossary's terms). Out: the words written with two or more
capitals, and those the glossary's terms hold.
"""

from __future__ import annotations

import re

from site_builds import CONFIG

GLOSSARY = CONFIG.parent / "pages" / "glossary.md"


def glossary_terms() -> set[str]:
    """The words in capitals the glossary defines: those of its terms (the lines before `:   `)."""
    text = GLOSSARY.read_text(encoding="utf-8")
    terms = re.findall(r"^(\S.*)\n:   ", text, flags=re.M)
    return {word for term in terms for word in capitalised(term)}


def capitalised(text: str) -> set[str]:
    """Abbreviations and terms written with two or more capitals (`LPHA`, `SanWITS`,
    `DMC-ODS`, `Medi-Cal`), a plural `s` left off."""
    words = re.findall(r"[A-Za-z][A-Za-z-]*[A-Za-z]", text)
    found = {word for word in words if sum(letter.isupper() for letter in word) >= 2}
    return {word[:-1] if word.endswith("s") and word[:-1].isupper() else word for word in found}

"""Write the staff reference site's pages from the policy and the corpus.

In: a compiled `Policy`, the corpus's `CaseResult`s (every case run against that
policy), the `Contrast`s staff get wrong (side-by-side pairs of corpus cases) and the
paths of the site's other pages (so a link is written only to a page that exists).
Out: Markdown pages by path inside the site: `index.md` (the one-screen answer),
`topics/<topic>.md` (one per policy topic), `summary/index.md` (the printable
summary), `contrasts.md` and `how-decisions-are-made.md`. The functions are pure and
the output is deterministic: the same policy and corpus give the same bytes.

Every page starts with one h1 and never skips a heading level. Each kind of page has
its module: `home_page`, `topic_page`, `summary_page`, `contrasts_page` and
`how_decisions_page`; the checker's pages come from `checker`, the What changed page
from `what_changed`.

`build_pages` loads the policy's versions and the corpus of the version in force on
the build day (the checkout's, from `docs/hooks.py`; the bundled ones by default;
`in_force`), runs every case, and refuses (raising `Problems`) when
the policy and the corpus disagree or a contrast names a case the corpus a maintainer
edits (the current version's) does not have, so the site never shows an example the
tests fail. The MkDocs hook in
`docs/hooks.py` calls it at every build. The command-line example is a corpus case.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Sequence
from pathlib import Path

from billability.checks.corpus import CaseResult, load_cases, run_cases
from billability.model.diagnostics import Diagnostic, Problems
from billability.policy.compiled import Policy
from billability.policy.wording import OUTCOME_WORDS, condition_lines
from billability.site.checker import checker_pages
from billability.site.coming import Coming, coming_changes
from billability.site.contrasts import Contrast, load_contrasts
from billability.site.contrasts_page import contrasts_page
from billability.site.home_page import home_page
from billability.site.how_decisions_page import how_decisions_page
from billability.site.in_force import SiteVersions, site_versions
from billability.site.layout import CHECKER, CONTRASTS, HOME, HOW_DECISIONS, SUMMARY
from billability.site.placement import Placement, overriding_rules, rule_placements, topic_path
from billability.site.summary_page import summary_page
from billability.site.topic_page import topic_page
from billability.site.what_changed import history_pages

__all__ = [
    "CHECKER",
    "CONTRASTS",
    "HOME",
    "HOW_DECISIONS",
    "OUTCOME_WORDS",
    "SUMMARY",
    "Contrast",
    "Placement",
    "build_pages",
    "condition_lines",
    "load_contrasts",
    "overriding_rules",
    "rule_placements",
    "site_pages",
    "topic_path",
]


def build_pages(
    contrasts_path: Path,
    policy_path: str | Path | None = None,
    corpus_paths: Sequence[str | Path] | None = None,
    present: Collection[str] = (),
    today: datetime.date | None = None,
) -> dict[str, str]:
    """Every generated page of the site, from the policy and corpus on disk, for a site
    built on `today` (no day: the computer's date). `present` holds the paths of the
    site's hand-written pages, which the generated pages may link.

    The pages describe the version in force on `today` (`in_force.SiteVersions.shown`),
    with the corpus of that version; the checker serves every version, and each version
    taking effect after `today` is announced on the home page and listed on What changed.
    Raises `Problems` when a version or the corpus cannot be read, when a case of the
    shown version or of the current one fails, or when a contrast names a case that does
    not exist."""
    site = site_versions(policy_path, today)
    policy = site.shown
    results = run_cases(policy, load_cases(site.corpus_folders(corpus_paths), policy))
    # A coming version's answers are announced too: its own corpus must pass as well.
    checked = results
    if not site.shows_current:
        # Its cases with a service date are decided by the version in force on it.
        every = site.versions
        checked = [*results, *run_cases(every, load_cases(corpus_paths or None, every))]
    failures = [
        Diagnostic(
            "site.case-fails",
            f"the site cannot show `{result.case.name}`: " + "; ".join(result.differences),
            result.case.location,
            hint="run `billability test` and fix the policy or the case first",
        )
        for result in checked
        if not result.passed
    ]
    if failures:
        raise Problems(failures)
    contrasts = _contrasts(contrasts_path, site, corpus_paths, [result.case.name for result in results])
    pages: dict[str, str] = {}
    # Pages written by other stages from the same policy go into `pages` here, before
    # the staff pages, which link to them only when they exist.
    coming = coming_changes(site)
    pages.update(checker_pages(policy, versions=site.all))
    pages.update(history_pages(policy_path, site.versions.current, policy, coming))
    pages.update(site_pages(policy, results, contrasts, present={*present, *pages}, coming=coming))
    return dict(sorted(pages.items()))


def _contrasts(
    contrasts_path: Path, site: SiteVersions, corpus_paths: Sequence[str | Path] | None, shown_cases: Sequence[str]
) -> tuple[Contrast, ...]:
    """The contrasts the site shows. The contrasts file names the cases of the corpus a
    maintainer edits, the current version's, and is checked against it; while a released
    version is shown, the site shows the contrasts whose cases that version's corpus has too,
    so a contrast written for a coming version shows from the day it takes effect."""
    if site.shows_current:
        return load_contrasts(contrasts_path, shown_cases)
    current = [case.name for case in load_cases(corpus_paths or None, site.versions)]
    return tuple(
        contrast for contrast in load_contrasts(contrasts_path, current) if set(contrast.cases) <= set(shown_cases)
    )


def site_pages(
    policy: Policy,
    results: Sequence[CaseResult],
    contrasts: Sequence[Contrast],
    present: Collection[str] = (),
    coming: Sequence[Coming] = (),
) -> dict[str, str]:
    """Every generated page, by path, sorted by path. `present` holds the paths of the
    site's other pages: the checker and the list of changes are linked when they are there;
    `coming` the versions taking effect after the build day, announced on the home page."""
    pages = {
        HOME: home_page(policy, contrasts, present, coming),
        SUMMARY: summary_page(policy),
        CONTRASTS: contrasts_page(policy, results, contrasts),
        HOW_DECISIONS: how_decisions_page(policy, results, contrasts),
    }
    for topic in policy.topics:
        pages[topic_path(topic.name)] = topic_page(policy, topic.name, results, present)
    return dict(sorted(pages.items()))

"""Strict MkDocs builds of the staff site, for the site and browser tests.

In: a checkout (the repository's, or a copy of the clinic fixture, or of its two-version
copy `tests/fixtures/versioned/`, given the repository's `docs/` folder and a contrasts
file of its own).
Out: the built site in a folder; the build's output when it fails.

The build refuses while a corpus case fails (the site never shows an example the tests
fail), so after a policy edit that fails corpus cases, tests of the built repository
site check that refusal and leave the content to the corpus cases that report it.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

from billability.checks.corpus import load_cases, run_cases
from billability.policy.compile import load_policy
from policy_texts import CHECKOUT, CLINIC

CONFIG = CHECKOUT / "docs" / "mkdocs.yml"
CLINIC_CONTRASTS = Path(__file__).resolve().parent / "fixtures" / "clinic-site" / "contrasts.yaml"
# The clinic fixture in two versions: 1.0 (released) and 2.0 (current), which differ on
# a counselor's video call to a provider (`SWITCH`): needs review under 1.0, billable under 2.0.
VERSIONED = Path(__file__).resolve().parent / "fixtures" / "versioned"
SWITCH = {"provider_credential": "counselor", "activity": "provider_call", "contact_mode": "video"}
VERSIONED_SWITCH_DAY = 'effective_from: "2026-07-01"'


def build_site(target: Path, config: Path = CONFIG) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict`, as CI and the README run it: in an environment without
    NO_MKDOCS_2_WARNING, since the configuration itself keeps the theme's notice quiet."""
    environment = {name: value for name, value in os.environ.items() if name != "NO_MKDOCS_2_WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(target)],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )


def theme_pages(site: Path) -> list[Path]:
    """The HTML pages of a built site that the theme lays out, sorted: all but the documents
    the site carries as they are written (the audit's example report, shown in a frame)."""
    return sorted(page for page in site.rglob("*.html") if 'class="md-content"' in page.read_text(encoding="utf-8"))


def carried_documents(site: Path) -> list[Path]:
    """The HTML documents a built site carries as they are written, outside the theme, sorted."""
    laid_out = set(theme_pages(site))
    return sorted(page for page in site.rglob("*.html") if page not in laid_out)


def failing_cases(checkout: Path = CHECKOUT) -> list[str]:
    """The checkout's corpus cases its policy fails: the site refuses to build while there are any."""
    policy = load_policy(checkout / "policy")
    return [
        result.case.name for result in run_cases(policy, load_cases([checkout / "corpus"], policy)) if not result.passed
    ]


def clinic_checkout_with_docs(root: Path, fixture: Path = CLINIC) -> Path:
    """A copy of the clinic fixture checkout (or of `fixture`, a copy of it) under `root`
    with the site's `docs/` folder; the path of its MkDocs configuration.

    The hook builds the pages from the checkout the configuration sits in, and lists
    the clinic's topics under Topics in the repository's navigation. The audit page is
    left out (its page and its line of the navigation): its examples are the
    repository's export and mapping, which speak the bundled policy's facts, not the
    clinic's."""
    checkout = root / fixture.name
    shutil.copytree(fixture, checkout)
    docs = checkout / "docs"
    shutil.copytree(CONFIG.parent, docs, ignore=shutil.ignore_patterns("__pycache__", "contrasts.yaml"))
    shutil.copy(CLINIC_CONTRASTS, docs / "contrasts.yaml")
    (docs / "pages" / "audit.md").unlink()
    config = CONFIG.read_text(encoding="utf-8")
    audit_line = "  - Audit service records: audit.md\n"
    assert audit_line in config, "the navigation of docs/mkdocs.yml no longer lists the audit page as expected"
    (docs / "mkdocs.yml").write_text(config.replace(audit_line, ""), encoding="utf-8")
    return docs / "mkdocs.yml"


def versioned_checkout_with_docs(root: Path, switch_day: datetime.date | None = None) -> Path:
    """`clinic_checkout_with_docs` of the two-version fixture; with `switch_day`, its
    version 2.0 takes effect that day instead (a day after today makes it upcoming)."""
    config = clinic_checkout_with_docs(root, VERSIONED)
    if switch_day is not None:
        policy_file = config.parent.parent / "policy" / "policy.yaml"
        text = policy_file.read_text(encoding="utf-8")
        assert VERSIONED_SWITCH_DAY in text, "the versioned fixture's version 2.0 no longer takes effect as expected"
        policy_file.write_text(
            text.replace(VERSIONED_SWITCH_DAY, f'effective_from: "{switch_day.isoformat()}"'), encoding="utf-8"
        )
        # The corpus's cases dated on each side of the switch move with it.
        cases_file = config.parent.parent / "corpus" / "cases.yaml"
        cases = cases_file.read_text(encoding="utf-8")
        assert 'on: "2026-06-30"' in cases and 'on: "2026-07-01"' in cases, "the dated cases moved: update this"
        eve = (switch_day - datetime.timedelta(days=1)).isoformat()
        cases = cases.replace('on: "2026-06-30"', f'on: "{eve}"').replace('on: "2026-07-01"', f'on: "{switch_day}"')
        cases_file.write_text(cases, encoding="utf-8")
    return config

"""The staff reference site: pages generated from the policy and corpus, and the strict build.

What a page says is tested on the clinic fixture (tests/fixtures/clinic, with the
contrasts of tests/fixtures/clinic-site/contrasts.yaml). The repository's own site is built
strictly from the checkout, and checked only against what its policy and corpus hold.
"""

from __future__ import annotations

import html
import json
import os
import re
import shlex
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from billability.cli import main
from billability.compile import normalize
from billability.corpus import Case, CaseResult, run_cases
from billability.diagnostics import Problems
from billability.model import Compare, Is, Not, OneOf, Policy
from billability.site import (
    build_pages,
    condition_lines,
    load_contrasts,
    overriding_rules,
    rule_placements,
    site_pages,
    topic_path,
)
from policy_texts import CLINIC
from site_builds import CLINIC_CONTRASTS, build_site, clinic_checkout_with_docs, failing_cases

try:
    import mkdocs  # noqa: F401
except ImportError:
    if os.environ.get("CI"):
        # In CI the site must be built and checked: a missing MkDocs is a failure, not a skip.
        pytest.fail("the site tests cannot run in CI: MkDocs is not installed", pytrace=False)
    pytest.skip("the site needs the `docs` extra: pip install -e '.[docs]'", allow_module_level=True)


@pytest.fixture(scope="module")
def results(clinic: Policy, clinic_cases: list[Case]) -> list[CaseResult]:
    return run_cases(clinic, clinic_cases)


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return build_pages(CLINIC_CONTRASTS, CLINIC / "policy", [CLINIC / "corpus"])


def page_texts(site: Path) -> dict[str, str]:
    """The visible text of every built page, tags stripped and white space folded."""
    texts = {}
    for page in sorted(site.rglob("*.html")):
        raw = page.read_text(encoding="utf-8")
        body = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
        texts[str(page.relative_to(site))] = normalize(html.unescape(re.sub(r"<[^>]+>", " ", body)))
    return texts


def shown_examples(site: Path) -> set[str]:
    """The case sentences a built site shows: example table rows and contrast cards."""
    shown: list[str] = []
    for page in site.rglob("*.html"):
        raw = page.read_text(encoding="utf-8")
        for table in re.findall(r"<table>.*?</table>", raw, flags=re.S):
            if "<th>Example</th>" in table:
                shown += re.findall(r"<tr>\s*<td>(.*?)</td>", table, flags=re.S)
        shown += re.findall(
            r'<li>\s*<p><span class="outcome[^"]*">[^<]*</span></p>\s*<p><strong>(.*?)</strong>', raw, flags=re.S
        )
    return {normalize(html.unescape(re.sub(r"<[^>]+>", "", item))) for item in shown}


# --- the repository's site, built strictly from the checkout ---------------------------------


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    target = tmp_path_factory.mktemp("site")
    return target, build_site(target)


@pytest.fixture(scope="module")
def built(build: tuple[Path, subprocess.CompletedProcess[str]]) -> Path:
    target, result = build
    failing = failing_cases()
    if failing:
        pytest.skip(f"the checkout's corpus fails ({len(failing)} cases), so its site is not built")
    assert result.returncode == 0, result.stderr
    return target


def test_strict_build_passes_exactly_when_the_corpus_passes(
    build: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    target, result = build
    failing = failing_cases()
    if not failing:
        assert result.returncode == 0, result.stderr
        assert (target / "index.html").is_file()
        assert (target / "search" / "search_index.json").is_file()
        return
    assert result.returncode != 0
    refused = re.findall(r"error\[site\.case-fails\]: the site cannot show `(.*?)`", result.stderr)
    assert sorted(refused) == sorted(failing), result.stderr


@pytest.mark.parametrize("kind", ["rule id", "rule title", "source quote", "corpus case", "topic title"])
def test_everything_in_the_policy_and_corpus_is_on_some_page(
    built: Path, policy: Policy, cases: list[Case], kind: str
) -> None:
    expected = {
        "rule id": [rule.id for rule in policy.rules],
        "rule title": [rule.title for rule in policy.rules],
        "source quote": [normalize(quote) for rule in policy.rules for quote in rule.quotes],
        "corpus case": [case.name for case in cases],
        "topic title": [topic.title for topic in policy.topics],
    }[kind]
    everything = " ".join(page_texts(built).values())
    missing = [item for item in expected if item not in everything]
    assert missing == [], f"{kind}s missing from the site"


def test_every_example_shown_is_a_corpus_case(built: Path, cases: list[Case]) -> None:
    assert shown_examples(built) == {case.name for case in cases}


def test_every_rule_section_is_in_the_search_index(built: Path, policy: Policy) -> None:
    index = json.loads((built / "search" / "search_index.json").read_text(encoding="utf-8"))
    sections = {doc["location"]: normalize(html.unescape(doc["title"])) for doc in index["docs"]}
    for rule in policy.rules:
        location = topic_path(rule.topic).removesuffix(".md") + f"/#{rule.id}"
        assert sections.get(location) == rule.title, location


# --- the clinic fixture's site, built strictly ------------------------------------------------


@pytest.fixture(scope="module")
def clinic_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clinic-site")
    result = build_site(folder / "site", clinic_checkout_with_docs(folder))
    assert result.returncode == 0, result.stderr
    return folder / "site"


@pytest.mark.parametrize(
    ("word", "page"),
    [
        ("voicemail", "topics/communication/"),
        ("driving", "topics/connection/"),
        ("counselors", "topics/credential/"),
        ("hand-off", "topics/connection/"),
    ],
)
def test_search_index_holds_the_words_staff_use(clinic_built: Path, word: str, page: str) -> None:
    index = json.loads((clinic_built / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"].split("#")[0] for doc in index["docs"] if word in doc["text"].lower()}
    assert page in locations


def test_the_clinic_site_shows_every_case_but_those_no_page_is_about(
    clinic_built: Path, results: list[CaseResult]
) -> None:
    shown = shown_examples(clinic_built)
    # A case no rule decides, for an activity of no topic, has no page to be shown on.
    assert {r.case.name for r in results if r.decision.rules} <= shown
    assert shown <= {r.case.name for r in results}


def test_the_build_stops_when_a_hand_written_page_shadows_a_generated_one(tmp_path: Path, clinic: Policy) -> None:
    config = clinic_checkout_with_docs(tmp_path)
    shadowed = topic_path(clinic.topics[0].name)
    page = config.parent / "pages" / shadowed
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("# Anything\n\nAnything is billable.\n", encoding="utf-8")
    result = build_site(tmp_path / "out", config)
    assert result.returncode != 0
    assert f"pages/{shadowed}" in result.stderr


# --- generation as pure functions, on the clinic fixture -------------------------------------


def test_pages_are_deterministic_and_cover_every_topic(clinic: Policy, results: list[CaseResult]) -> None:
    contrasts = load_contrasts(CLINIC_CONTRASTS, [result.case.name for result in results])
    first = site_pages(clinic, results, contrasts)
    assert first == site_pages(clinic, results, contrasts)
    assert list(first) == sorted(first)
    assert {topic_path(topic.name) for topic in clinic.topics} <= set(first)


def test_the_home_page_puts_who_may_bill_first_then_each_topic_with_billable_activities(pages: dict[str, str]) -> None:
    home = pages["index.md"]
    assert home.index('!!! warning "Who may bill"') < home.index("**Only counselors may bill.**")
    cards = re.findall(r"^-   ### \[(.*?)\]\((.*?)\)$", home, flags=re.M)
    assert cards == [("Connection", "topics/connection.md"), ("Communication", "topics/communication.md")]
    communication = home[home.index("### [Communication]") :]
    assert (
        communication.index("[Calling a provider](topics/communication.md#provider-call)")
        < communication.index("Not billable")
        < communication.index("[Voicemail or email](topics/communication.md#provider-call-voicemail-or-email)")
    )
    assert "[A video call](topics/communication.md#provider-call-video)" in communication


def test_a_topic_page_shows_each_rule_with_its_conditions_quotes_and_examples(pages: dict[str, str]) -> None:
    page = pages["topics/connection.md"]
    section = page[page.index("### A hand-off more than 14 days after discharge { #handoff-window }") :]
    section = section[: section.index("\n### ")] if "\n### " in section else section
    assert '<span class="outcome outcome-not-billable">Not billable</span> A hand-off is billable only' in section
    assert "- **Days since discharge:** more than 14" in section
    assert "> \u201cHand clients off to a new level of care **within 14 days of discharge.**\u201d" in section
    assert "| A hand-off 15 days after discharge is not billable |" in section
    handoff = page[page.index("{ #handoff }") :]
    assert "**But not billable when**\n\n- [An undocumented hand-off](connection.md#handoff-undocumented)" in handoff
    assert "- [Only counselors may bill](credential.md#not-a-counselor): not billable" in handoff


def test_the_contrasts_page_sets_the_cases_side_by_side(pages: dict[str, str]) -> None:
    page = pages["contrasts.md"]
    assert "## A phone call vs a voicemail { #a-phone-call-vs-a-voicemail }" in page
    assert "**What differs:** How the contact was made: Phone vs Voicemail." in page
    assert "**What differs:** Documented: yes vs yes vs no; Days since discharge: 14 vs 15 vs 3." in page
    assert page.index("**Calling a provider by phone is billable**") < page.index("**A voicemail is not billable**")


def test_the_command_line_example_is_a_case_that_runs_against_the_policy(
    pages: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (command,) = re.findall(r"^billability check .*$", pages["how-decisions-are-made.md"], flags=re.M)
    monkeypatch.chdir(CLINIC)
    result = CliRunner().invoke(main, shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("NOT BILLABLE\n")


def test_a_policy_change_shows_on_the_generated_page(clinic: Policy, results: list[CaseResult]) -> None:
    old = clinic.rule("provider-call-voicemail-or-email")
    rules = tuple(
        replace(rule, title="Voicemail left for a provider") if rule is old else rule for rule in clinic.rules
    )
    page = site_pages(replace(clinic, rules=rules), results, ())[topic_path(old.topic)]
    assert "### Voicemail left for a provider " in page
    assert f"### {old.title} " not in page


@pytest.mark.parametrize(
    ("rule_id", "overridden_by"),
    [
        ("provider-call", ["not-a-counselor"]),
        ("handoff", ["not-a-counselor", "handoff-undocumented", "handoff-window"]),
        # a video call excludes a voicemail or an email, so only the credential rule can hold with it
        ("provider-call-video", ["not-a-counselor"]),
        ("driving", []),
    ],
)
def test_overriding_rules(clinic: Policy, rule_id: str, overridden_by: list[str]) -> None:
    found = [rule.id for rule in overriding_rules(clinic, clinic.rule(rule_id))]
    assert sorted(found) == sorted(overridden_by)


@pytest.mark.parametrize(
    ("rule_id", "topic", "kind"),
    [
        ("not-a-counselor", "", "note"),
        ("benefits", "Connection", "activity"),
        ("handoff-undocumented", "Connection", "billable"),
        ("driving", "Connection", "not_billable"),
        ("provider-call", "Communication", "activity"),
        ("provider-call-voicemail-or-email", "Communication", "not_billable"),
    ],
)
def test_rule_placements_follow_the_table(clinic: Policy, rule_id: str, topic: str, kind: str) -> None:
    placement = rule_placements(clinic)[rule_id]
    assert (placement.topic, placement.kind) == (topic, kind)


def test_a_rule_quoting_only_the_introduction_has_no_placement(clinic: Policy) -> None:
    introduction = "A small table shaped like the county's reference table"
    assert introduction in clinic.source_text
    driving = clinic.rule("driving")
    extra = replace(driving, id="introduction-only", quotes=(introduction,))
    assert "introduction-only" not in rule_placements(replace(clinic, rules=(*clinic.rules, extra)))


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Is("activity", "driving"), ["**Activity:** *Driving the client*"]),
        (OneOf("contact_mode", ("phone", "voicemail")), ["**How the contact was made:** *Phone* or *Voicemail*"]),
        (Is("documented", False), ["**Documented:** *no*"]),
        (Not(Is("provider_credential", "counselor")), ["**Provider credential:** anything but *Counselor*"]),
        (
            Not(OneOf("contact_mode", ("email", "video"))),
            ["**How the contact was made:** anything but *Email* or *Video call*"],
        ),
        (Compare("days_since_discharge", "more_than", 14), ["**Days since discharge:** more than 14"]),
    ],
)
def test_conditions_read_as_plain_words(
    clinic: Policy, condition: Is | OneOf | Not | Compare, expected: list[str]
) -> None:
    assert condition_lines(clinic, condition) == expected


# --- problems stop the build, each with a code and a location --------------------------------


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        (
            "contrasts:\n  - title: A\n    cases: [Driving a client is not billable, No such case]\n",
            "site.unknown-case",
            3,
        ),
        ("contrasts:\n  - title: A\n    cases: [Only one]\n", "site.contrasts-shape", 2),
        ("contrasts:\n  - title: A\n    cases: [x, y]\n    note: z\n", "site.contrasts-shape", 2),
        ("pairs: []\n", "site.contrasts-shape", 1),
    ],
)
def test_contrast_problems(tmp_path: Path, results: list[CaseResult], text: str, code: str, line: int) -> None:
    path = tmp_path / "contrasts.yaml"
    path.write_text(text)
    with pytest.raises(Problems) as caught:
        load_contrasts(path, [result.case.name for result in results])
    assert [(d.code, d.location.line if d.location else None) for d in caught.value.diagnostics][:1] == [(code, line)]


def test_a_contrast_naming_a_repeated_case_is_ambiguous(tmp_path: Path) -> None:
    path = tmp_path / "contrasts.yaml"
    path.write_text("contrasts:\n  - title: A\n    cases: [Twice, Once]\n")
    with pytest.raises(Problems) as caught:
        load_contrasts(path, ["Twice", "Twice", "Once"])
    assert [(d.code, d.location.line if d.location else None) for d in caught.value.diagnostics] == [
        ("site.ambiguous-case", 3)
    ]


def test_a_failing_case_stops_the_build(tmp_path: Path) -> None:
    corpus = tmp_path / "wrong.yaml"
    corpus.write_text(
        "cases:\n"
        "  - name: Leaving a voicemail is billable\n"
        "    facts: {provider_credential: counselor, activity: provider_call, contact_mode: voicemail}\n"
        "    expect: {outcome: billable, rules: [provider-call]}\n"
    )
    with pytest.raises(Problems) as caught:
        build_pages(CLINIC_CONTRASTS, CLINIC / "policy", [corpus])
    assert [(d.code, d.location.line if d.location else None) for d in caught.value.diagnostics] == [
        ("site.case-fails", 2)
    ]

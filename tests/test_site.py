"""The staff reference site: pages generated from the policy and corpus, and the strict build."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from billability.compile import load_policy, normalize
from billability.corpus import load_cases, run_cases
from billability.diagnostics import Problems
from billability.model import Is, Not, OneOf
from billability.site import (
    build_pages,
    condition_lines,
    load_contrasts,
    overriding_rules,
    rule_placements,
    site_pages,
    topic_path,
)

try:
    import mkdocs  # noqa: F401
except ImportError:
    if os.environ.get("CI"):
        # In CI the site must be built and checked: a missing MkDocs is a failure, not a skip.
        pytest.fail("the site tests cannot run in CI: MkDocs is not installed", pytrace=False)
    pytest.skip("the site needs the `docs` extra: pip install -e '.[docs]'", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "docs" / "mkdocs.yml"
CONTRASTS = ROOT / "docs" / "contrasts.yaml"

POLICY = load_policy()
RESULTS = run_cases(POLICY, load_cases(None, POLICY))


def build_site(target: Path, config: Path = CONFIG) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict`, as CI and the README run it."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(target)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    result = build_site(target)
    assert result.returncode == 0, result.stderr
    return target


def page_texts(site: Path) -> dict[str, str]:
    """The visible text of every built page, tags stripped and white space folded."""
    texts = {}
    for page in sorted(site.rglob("*.html")):
        raw = page.read_text(encoding="utf-8")
        body = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
        texts[str(page.relative_to(site))] = normalize(html.unescape(re.sub(r"<[^>]+>", " ", body)))
    return texts


# --- the strict build ----------------------------------------------------------------------


def test_strict_build_passes_without_warnings(built: Path) -> None:
    assert (built / "index.html").is_file()
    assert (built / "search" / "search_index.json").is_file()


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("rule id", [rule.id for rule in POLICY.rules]),
        ("rule title", [rule.title for rule in POLICY.rules]),
        ("source quote", [normalize(quote) for rule in POLICY.rules for quote in rule.quotes]),
        ("corpus case", [result.case.name for result in RESULTS]),
        ("topic title", [topic.title for topic in POLICY.topics]),
    ],
)
def test_everything_in_the_policy_and_corpus_is_on_some_page(built: Path, kind: str, expected: list[str]) -> None:
    everything = " ".join(page_texts(built).values())
    missing = [item for item in expected if item not in everything]
    assert missing == [], f"{kind}s missing from the site"


def test_every_example_shown_is_a_corpus_case(built: Path) -> None:
    names = {result.case.name for result in RESULTS}
    shown: list[str] = []
    for page in built.rglob("*.html"):
        raw = page.read_text(encoding="utf-8")
        # The first cell of every example row, and the case sentence of every contrast card.
        for table in re.findall(r"<table>.*?</table>", raw, flags=re.S):
            if "<th>Example</th>" in table:
                shown += re.findall(r"<tr>\s*<td>(.*?)</td>", table, flags=re.S)
        shown += re.findall(
            r'<li>\s*<p><span class="outcome[^"]*">[^<]*</span></p>\s*<p><strong>(.*?)</strong>', raw, flags=re.S
        )
    cleaned = {normalize(html.unescape(re.sub(r"<[^>]+>", "", item))) for item in shown}
    assert cleaned - names == set()
    assert cleaned == names


@pytest.mark.parametrize(
    ("word", "page"),
    [
        ("voicemail", "topics/communication/"),
        ("dmv", "topics/not-billable/"),
        ("email", "topics/communication/"),
        ("medi", "topics/connection/"),
    ],
)
def test_search_index_holds_the_words_staff_use(built: Path, word: str, page: str) -> None:
    index = json.loads((built / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"].split("#")[0] for doc in index["docs"] if word in doc["text"].lower()}
    assert page in locations


def test_the_build_stops_when_a_hand_written_page_shadows_a_generated_one(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(CONFIG.parent, docs)
    (docs / "pages" / "topics").mkdir()
    (docs / "pages" / "topics" / "communication.md").write_text("# Communication\n\nAnything is billable.\n")
    result = build_site(tmp_path / "out", docs / "mkdocs.yml")
    assert result.returncode != 0
    assert "pages/topics/communication.md" in result.stderr


# --- generation as pure functions ----------------------------------------------------------


def test_pages_are_deterministic_and_cover_every_topic() -> None:
    contrasts = load_contrasts(CONTRASTS, [result.case.name for result in RESULTS])
    first = site_pages(POLICY, RESULTS, contrasts)
    assert first == site_pages(POLICY, RESULTS, contrasts)
    assert list(first) == sorted(first)
    assert {topic_path(topic.name) for topic in POLICY.topics} <= set(first)


def test_a_policy_change_shows_on_the_generated_page() -> None:
    old = POLICY.rule("communication-voicemail")
    rules = tuple(
        replace(rule, title="Voicemail left for a provider") if rule is old else rule for rule in POLICY.rules
    )
    page = site_pages(replace(POLICY, rules=rules), RESULTS, ())[topic_path("communication")]
    assert "Voicemail left for a provider" in page
    assert f"### {old.title} " not in page


@pytest.mark.parametrize(
    ("rule_id", "overridden_by"),
    [
        ("provider-communication", ["contact-not-successful", "credential-not-qualified"]),
        (
            "warm-handoff",
            [
                "credential-not-qualified",
                "warm-handoff-not-medically-necessary",
                "warm-handoff-not-documented",
                "warm-handoff-tcs-window",
            ],
        ),
        ("loc-transition", ["contact-not-successful", "credential-not-qualified"]),
        # video and text exclude email and voicemail, so only rules that can hold together remain
        ("communication-video-or-text", ["contact-not-successful", "credential-not-qualified"]),
        ("data-entry", []),
    ],
)
def test_overriding_rules(rule_id: str, overridden_by: list[str]) -> None:
    found = [rule.id for rule in overriding_rules(POLICY, POLICY.rule(rule_id))]
    assert sorted(found) == sorted(overridden_by)


@pytest.mark.parametrize(
    ("rule_id", "topic", "kind"),
    [
        ("credential-not-qualified", "", "note"),
        ("transportation", "Connection", "not_billable"),
        ("documentation-outside-note", "Coordination", "not_billable"),
        ("communication-voicemail", "Communication", "not_billable"),
        ("benefits-enrollment", "Connection", "activity"),
        ("communication-video-or-text", "Communication", "billable"),
    ],
)
def test_rule_placements_follow_the_county_table(rule_id: str, topic: str, kind: str) -> None:
    placement = rule_placements(POLICY)[rule_id]
    assert (placement.topic, placement.kind) == (topic, kind)


def test_a_rule_quoting_only_the_introduction_has_no_placement() -> None:
    assert "unlisted-activity" not in rule_placements(POLICY)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Is("activity", "transportation"), ["**Activity:** *Driving the client (transportation)*"]),
        (OneOf("contact_mode", ("face_to_face", "phone")), ["**How the contact was made:** *Face-to-face* or *Phone*"]),
        (Is("contact_successful", False), ["**Contact reached the provider or partner:** *no*"]),
        (
            Not(OneOf("provider_credential", ("other_staff", "peer_support_specialist"))),
            ["**Provider credential:** anything but *Other staff* or *Peer support specialist*"],
        ),
    ],
)
def test_conditions_read_as_plain_words(condition: Is | OneOf | Not, expected: list[str]) -> None:
    assert condition_lines(POLICY, condition) == expected


# --- problems stop the build, each with a code and a location --------------------------------


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        (
            "contrasts:\n  - title: A\n    cases: [Helping a client move residences is not billable, No such case]\n",
            "site.unknown-case",
            3,
        ),
        ("contrasts:\n  - title: A\n    cases: [Only one]\n", "site.contrasts-shape", 2),
        ("contrasts:\n  - title: A\n    cases: [x, y]\n    note: z\n", "site.contrasts-shape", 2),
        ("pairs: []\n", "site.contrasts-shape", 1),
    ],
)
def test_contrast_problems(tmp_path: Path, text: str, code: str, line: int) -> None:
    path = tmp_path / "contrasts.yaml"
    path.write_text(text)
    with pytest.raises(Problems) as caught:
        load_contrasts(path, [result.case.name for result in RESULTS])
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
        "    facts: {provider_credential: lpha, activity: advocacy, contact_mode: voicemail}\n"
        "    expect: {outcome: billable, rules: [advocacy]}\n"
    )
    with pytest.raises(Problems) as caught:
        build_pages(CONTRASTS, corpus_paths=[corpus])
    assert [(d.code, d.location.line if d.location else None) for d in caught.value.diagnostics] == [
        ("site.case-fails", 2)
    ]

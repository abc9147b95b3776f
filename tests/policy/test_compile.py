"""Compiling a policy: conditions become their forms; each mistake a maintainer can make is
reported with its code and location, every mistake of every file at once, and a schema
error hides only what it makes meaningless.

Everything here runs on the clinic fixture (tests/fixtures/clinic) or on small inline
policies, never on the bundled policy."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from billability import Outcome, Policy, load_policy
from billability.model.diagnostics import Problems
from billability.model.policy import All, Compare, FactType, Is, Not
from billability.policy.compile import compile_texts
from command_line import run
from policy_texts import CLINIC, FACTS, HEADER, SOURCE, edited_policy, paths, rule

Found = list[tuple[str, str]]


def clinic_copy(root: Path, *changes: tuple[str, str, str]) -> Path:
    """A copy of the clinic policy under `root` with each (file, old, new) text replaced once."""
    return edited_policy(root, *changes, source=CLINIC / "policy")


def diagnosed(root: Path) -> Found:
    """(code, file:line:column relative to the policy folder) of every diagnostic, in order."""
    with pytest.raises(Problems) as raised:
        load_policy(root)
    return [(d.code, str(d.location).removeprefix(f"{root}/")) for d in raised.value.diagnostics]


# --- a valid policy ------------------------------------------------------------------------


def test_the_clinic_policy_compiles(clinic: Policy) -> None:
    assert clinic.id == "clinic"
    assert [fact.name for fact in clinic.facts] == [
        "provider_credential",
        "activity",
        "contact_mode",
        "documented",
        "days_since_discharge",
    ]
    assert [fact.type for fact in clinic.facts] == [FactType.ENUM] * 3 + [FactType.BOOLEAN, FactType.INTEGER]
    assert clinic.fact_index["days_since_discharge"].minimum == 0
    assert clinic.precedence == (Outcome.NOT_BILLABLE, Outcome.NEEDS_REVIEW, Outcome.BILLABLE)
    assert len({rule.id for rule in clinic.rules}) == len(clinic.rules) == 9
    assert clinic.source_name == "sources/table.txt"
    assert (clinic.version, clinic.effective_from) == ("1.0", "2026-01-01")
    assert clinic.source_document.date == "2025-12-01"
    assert clinic.review.team == "the clinic's QA lead"
    # Every decision says which policy, and which version of it, decided.
    decision = clinic.evaluate({"activity": "benefits"})
    assert (decision.policy_id, decision.policy_version) == ("clinic", "1.0")


def test_conditions_compile_to_their_forms(clinic: Policy) -> None:
    window = clinic.rule("handoff-window").when
    assert window == All((Is("activity", "handoff"), Compare("days_since_discharge", "more_than", 14)))
    assert isinstance(window, All)
    assert str(window.location).endswith("rules/connection.yaml:40:7")
    assert str(window.items[1].location).endswith("rules/connection.yaml:42:9")
    credential = clinic.rule("not-a-counselor").when
    assert credential == Not(Is("provider_credential", "counselor"))


def test_a_policy_can_be_compiled_from_texts() -> None:
    texts = {"policy.yaml": HEADER + FACTS + "rules:\n" + rule("talk", "billable", "activity: talk")}
    tiny = compile_texts(texts, SOURCE)
    assert tiny.evaluate({"activity": "talk"}).outcome is Outcome.BILLABLE
    assert tiny.evaluate({"activity": "drive"}).outcome is Outcome.NEEDS_REVIEW
    assert tiny.evaluate({"activity": "drive"}).rules == ()


# --- each mistake, located -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("rules/connection.yaml", "      activity: benefits\n", "      activty: benefits\n"),
         [("policy.unknown-fact", "rules/connection.yaml:7:7")]),
        (("rules/connection.yaml", "activity: driving", "activity: drivng"),
         [("policy.unknown-value", "rules/connection.yaml:52:17")]),
        (("rules/connection.yaml", "documented: false", "documented: 0"),
         [("policy.type-mismatch", "rules/connection.yaml:30:19")]),
        (("rules/connection.yaml", "documented: false", "documented: no"),
         [("policy.type-mismatch", "rules/connection.yaml:30:19")]),
        (("rules/connection.yaml", "documented: false", "documented: {more_than: 3}"),
         [("policy.type-mismatch", "rules/connection.yaml:30:20")]),
        (("rules/connection.yaml", "more_than: 14", "more_than: true"),
         [("schema.type", "rules/connection.yaml:42:20")]),
        (("rules/connection.yaml", "id: handoff-window", "id: handoff"),
         [("policy.duplicate-rule-id", "rules/connection.yaml:35:9")]),
        (("rules/connection.yaml", '"Driving clients to appointments."', '"Driving clients to appointment."'),
         [("policy.quote-not-in-source", "rules/connection.yaml:55:9")]),
        (("rules/connection.yaml", "topic: connection", "topic: conection"),
         [("policy.unknown-topic", "rules/connection.yaml:4:12")]),
        (("rules/connection.yaml", "    outcome: billable", "    outcome: billible"),
         [("schema.enum", "rules/connection.yaml:5:14")]),
        (("rules/connection.yaml", "    reason: helping", "    reasons: helping"),
         [("schema.required", "rules/connection.yaml:2:5"), ("schema.unknown-key", "rules/connection.yaml:8:5")]),
        (("facts.yaml", "type: boolean", "type: bool"),
         [("schema.enum", "facts.yaml:51:11")]),
        (("facts.yaml", "        topic: communication", "        topic: comunication"),
         [("policy.unknown-topic", "facts.yaml:29:16")]),
        (("policy.yaml", "source: sources/table.txt", "source: sources/missing.txt"),
         [("policy.source-missing", "policy.yaml:6:11")]),
        (("policy.yaml", "[not_billable, needs_review, billable]", "[not_billable, billable, billable]"),
         [("schema.duplicate", "policy.yaml:7:15")]),
        (("policy.yaml", 'effective_from: "2026-01-01"', 'effective_from: "2026-02-30"'),
         [("policy.bad-date", "policy.yaml:12:19")]),
        (("policy.yaml", 'date: "2025-12-01"', 'date: "1 December 2025"'),
         [("schema.pattern", "policy.yaml:16:11")]),
        (("policy.yaml", '  version: "1.0"\n', ""),
         [("schema.required", "policy.yaml:4:3")]),
        # A fact renamed to a reserved word no longer declares its old name.
        (("facts.yaml", "  documented:", "  all:"),
         [("schema.name", "facts.yaml:50:3"), ("policy.unknown-fact", "rules/connection.yaml:30:7")]),
        (("rules/connection.yaml", "    title: Hand-offs", "    title: Moving\n    title: Hand-offs"),
         [("yaml.duplicate-key", "rules/connection.yaml:15:5")]),
        (("rules/connection.yaml", "    title: Hand-offs", "\ttitle: Hand-offs"),
         [("yaml.tab", "rules/connection.yaml:14:1")]),
    ],
)  # fmt: skip
def test_each_mistake_is_located(tmp_path: Path, change: tuple[str, str, str], expected: Found) -> None:
    assert diagnosed(clinic_copy(tmp_path, change)) == expected


def test_hints_name_the_closest_choice(tmp_path: Path) -> None:
    root = clinic_copy(tmp_path, ("rules/communication.yaml", "contact_mode: video", "contact_mode: vidio"))
    with pytest.raises(Problems) as raised:
        load_policy(root)
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.hint == "did you mean `video`?"


def test_a_quote_with_a_curly_apostrophe_names_the_character(tmp_path: Path) -> None:
    root = clinic_copy(tmp_path, ("rules/communication.yaml", "the client's behalf", "the client\u2019s behalf"))
    with pytest.raises(Problems) as raised:
        load_policy(root)
    (diagnostic,) = raised.value.diagnostics
    assert (diagnostic.code, str(diagnostic.location).removeprefix(f"{root}/")) == (
        "policy.quote-not-in-source",
        "rules/communication.yaml:11:9",
    )
    assert diagnostic.hint is not None and "`\u2019`" in diagnostic.hint and "`'`" in diagnostic.hint


# --- every mistake at once -------------------------------------------------------------------

# Five mistakes the schema does not see, in two files.
FIVE = (
    ("rules/connection.yaml", "activity: driving", "activity: drivng"),
    ("rules/connection.yaml", "      documented: false", "      documentd: false"),
    ("rules/communication.yaml", "contact_mode: video", "contact_mode: vidio"),
    ("rules/communication.yaml", "id: provider-call-video", "id: provider-call"),
    ("rules/communication.yaml", '"Leaving a voice mail message."', '"Leaving a voicemail message."'),
)
FIVE_FOUND = [
    ("policy.duplicate-rule-id", "rules/communication.yaml:26:9"),
    ("policy.quote-not-in-source", "rules/communication.yaml:23:9"),
    ("policy.unknown-value", "rules/communication.yaml:32:21"),
    ("policy.unknown-fact", "rules/connection.yaml:30:7"),
    ("policy.unknown-value", "rules/connection.yaml:52:17"),
]


def sorted_found(found: Found) -> Found:
    def key(item: tuple[str, str]) -> tuple[str, int, int]:
        file, line, column = item[1].rsplit(":", 2)
        return file, int(line), int(column)

    return sorted(found, key=key)


@pytest.mark.parametrize(
    ("schema_error", "expected"),
    [
        # The reported case: a misspelled outcome hid five other mistakes in two files.
        (("rules/connection.yaml", "outcome: not_billable", "outcome: not_billabel"),
         ("schema.enum", "rules/connection.yaml:27:14")),
        (("rules/connection.yaml", "    reason: a hand-off must", "    reasn: a hand-off must"),
         ("schema.unknown-key", "rules/connection.yaml:31:5")),
        (("rules/communication.yaml", "    title: A video call", "    title: [A video call]"),
         ("schema.type", "rules/communication.yaml:27:12")),
        (("rules/connection.yaml", "more_than: 14", "more_than: fourteen"),
         ("schema.type", "rules/connection.yaml:42:20")),
        (("facts.yaml", "    question: Who provided the service?", "    questions: Who provided the service?"),
         ("schema.unknown-key", "facts.yaml:5:5")),
        (("policy.yaml", "  default:", "  defaults:"),
         ("schema.unknown-key", "policy.yaml:8:3")),
    ],
)  # fmt: skip
def test_a_schema_error_hides_none_of_the_other_mistakes(
    tmp_path: Path, schema_error: tuple[str, str, str], expected: tuple[str, str]
) -> None:
    found = diagnosed(clinic_copy(tmp_path, schema_error, *FIVE))
    assert expected in found
    assert [item for item in found if item != expected and not item[0].startswith("schema.")] == sorted_found(
        FIVE_FOUND
    )
    assert found == sorted_found(found)


def test_a_misspelled_outcome_and_five_mistakes_in_two_files_are_all_reported(tmp_path: Path) -> None:
    root = clinic_copy(tmp_path, ("rules/connection.yaml", "outcome: not_billable", "outcome: not_billabel"), *FIVE)
    assert diagnosed(root) == sorted_found([("schema.enum", "rules/connection.yaml:27:14"), *FIVE_FOUND])
    status, _, errors = run("validate", str(root))
    assert status == 1
    located = re.findall(r"^(\S+):(\d+):(\d+): error\[([a-z.-]+)\]", errors, re.MULTILINE)
    assert len(located) == 6
    assert errors.splitlines()[-1] == "6 errors"


def test_a_fact_with_a_schema_error_is_still_declared(tmp_path: Path) -> None:
    # The rules that name `activity` are not told it is unknown; what it allows is unknown
    # until its declaration is fixed, so a misspelled value of it waits until then.
    root = clinic_copy(
        tmp_path,
        ("facts.yaml", "    type: enum\n    label: Activity", "    type: enumeration\n    label: Activity"),
        ("rules/connection.yaml", "activity: driving", "activity: drivng"),
        ("rules/connection.yaml", "documented: false", "documented: 0"),
    )
    assert diagnosed(root) == [
        ("schema.enum", "facts.yaml:14:11"),
        ("policy.type-mismatch", "rules/connection.yaml:30:19"),
    ]


def test_a_value_with_a_schema_error_leaves_the_other_values_checked(tmp_path: Path) -> None:
    root = clinic_copy(
        tmp_path,
        ("facts.yaml", "      driving:\n        label: Driving the client", "      driving:\n        labl: Driving"),
        ("rules/connection.yaml", "activity: benefits\n", "activity: benefit\n"),
    )
    assert diagnosed(root) == [
        ("schema.required", "facts.yaml:25:9"),
        ("schema.unknown-key", "facts.yaml:25:9"),
        ("policy.unknown-value", "rules/connection.yaml:7:17"),
    ]


def test_a_file_that_cannot_be_read_leaves_the_names_it_may_declare_open(tmp_path: Path) -> None:
    # With facts.yaml unreadable no name is known to be undeclared, but a duplicate rule id
    # in another file is a mistake whatever the facts are.
    root = clinic_copy(
        tmp_path,
        ("facts.yaml", "  documented:\n    type: boolean", "  documented:\n    type: boolean\n    type: boolean"),
        ("rules/connection.yaml", "      documented: false", "      documentd: false"),
        ("rules/connection.yaml", "id: handoff-window", "id: handoff"),
    )
    assert diagnosed(root) == [
        ("yaml.duplicate-key", "facts.yaml:52:5"),
        ("policy.duplicate-rule-id", "rules/connection.yaml:35:9"),
    ]


def test_a_policy_needs_its_policy_section(tmp_path: Path) -> None:
    root = clinic_copy(tmp_path)
    (root / "policy.yaml").unlink()
    assert ("policy.missing-section", "facts.yaml:1:1") in diagnosed(root)


@pytest.mark.parametrize("name", ["nowhere", "empty-folder"])
def test_a_missing_policy_is_a_diagnostic(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    if name == "empty-folder":
        target.mkdir()
    with pytest.raises(Problems) as raised:
        load_policy(target)
    assert [d.code for d in raised.value.diagnostics] == ["file.not-found" if name == "nowhere" else "policy.no-files"]


# --- wrong shapes anywhere: located diagnostics, never a crash, no cascade -----------------

SHAPES_POLICY = (
    HEADER
    + FACTS.replace(
        "    question: How long?\n    relevant_when: always",
        "    question: How long?\n    relevant_when:\n      any:\n        - activity: [talk, drive]\n        - not: {reached: false}",
    )
    + "rules:\n"
    + rule("talk", "billable", "activity: talk\nminutes: {at_least: 5}")
    + rule("drive", "not_billable", "all:\n  - activity: drive\n  - not:\n      reached: true")
)


def replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    data = copy.deepcopy(data)
    node = data
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return data


SHAPES_DATA = yaml.safe_load(SHAPES_POLICY)


@pytest.mark.parametrize("path", list(paths(SHAPES_DATA)), ids=lambda path: ".".join(map(str, path)) or "file")
def test_a_value_of_the_wrong_shape_anywhere_is_one_located_schema_mistake(path: tuple[Any, ...]) -> None:
    compile_texts({"policy.yaml": SHAPES_POLICY}, SOURCE)  # the policy itself is valid
    # Nothing, a fraction, and a list holding nothing are wrong everywhere in a policy.
    for value in (None, 1.5, [None]):
        text = yaml.safe_dump(replaced(SHAPES_DATA, path, value), sort_keys=False)
        with pytest.raises(Problems) as raised:
            compile_texts({"policy.yaml": text}, SOURCE)
        found = raised.value.diagnostics
        assert found and all(d.location is not None and d.location.line for d in found)
        # Only what the schema says: no unknown fact, value or topic that follows from it.
        assert {d.code.split(".")[0] for d in found} == {"schema"}, (value, [d.render() for d in found])


# --- the validate command ------------------------------------------------------------------------


def test_validate_names_the_folder_it_read(clinic: Policy) -> None:
    status, output, _ = run("validate", str(CLINIC / "policy"))
    assert status == 0
    line, corpus = output.splitlines()
    assert line.endswith(f"clinic/policy/: {len(clinic.facts)} facts, {len(clinic.rules)} rules: valid")
    assert re.fullmatch(r".*clinic/corpus/: \d+ cases in 1 file: valid", corpus)


def test_validate_reports_a_tab_with_a_hint(tmp_path: Path) -> None:
    root = clinic_copy(tmp_path, ("rules/connection.yaml", "    title: Hand-offs", "\ttitle: Hand-offs"))
    status, _, errors = run("validate", str(root))
    assert status == 1
    assert f"{root}/rules/connection.yaml:14:1: error[yaml.tab]" in errors
    assert "\n  hint: " in errors


def test_validate_github_annotations_point_at_the_lines(tmp_path: Path) -> None:
    root = clinic_copy(tmp_path, ("rules/communication.yaml", "activity: provider_call", "activity: provider_cal"))
    status, output, _ = run("validate", str(root), "--format", "github")
    assert status == 1
    (line,) = output.splitlines()
    match = re.fullmatch(r"::error file=([^,]+),line=(\d+),col=(\d+)::\[policy\.unknown-value\] .*", line)
    assert match is not None
    file, number = match.group(1), int(match.group(2))
    assert file.endswith("rules/communication.yaml")
    assert "provider_cal\n" in (root / "rules" / "communication.yaml").read_text().splitlines(keepends=True)[number - 1]


def test_validate_github_of_a_valid_policy_prints_nothing() -> None:
    status, output, _ = run("validate", "--policy", str(CLINIC / "policy"), "--format", "github")
    assert (status, output) == (0, "")

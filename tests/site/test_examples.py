"""Which corpus cases the site shows staff, and how one reads: on the clinic fixture."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from billability.checks.corpus import Case, CaseResult, load_file
from billability.model.diagnostics import Problems
from billability.policy.compiled import Policy
from billability.site.examples import example_list, situation, teaches, teaching


def named(results: list[CaseResult], name: str) -> CaseResult:
    return next(result for result in results if result.case.name == name)


@pytest.mark.parametrize(
    ("source", "marked", "expected"),
    [("Help clients apply for benefits.", False, True), (None, True, True), (None, False, False)],
)
def test_a_case_teaches_when_it_quotes_the_table_or_is_marked(
    clinic_cases: list[Case], source: str | None, marked: bool, expected: bool
) -> None:
    assert teaches(replace(clinic_cases[0], source=source, staff_example=marked)) is expected


def test_teaching_keeps_the_corpus_order(results: list[CaseResult]) -> None:
    taught = teaching(results)
    assert [r.case.name for r in taught] == [r.case.name for r in results if r.case.source is not None]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Benefits help is billable", "Benefits help"),
        ("A voicemail is not billable", "A voicemail"),
        ("A video call needs review", "A video call"),
        # The name does not end with the answer the policy gives: it is shown whole.
        ("A hand-off with nothing else known is undetermined", "A hand-off with nothing else known is undetermined"),
        ("A peer may not bill benefits help", "A peer may not bill benefits help"),
    ],
)
def test_a_situation_leaves_out_the_answer_its_name_states(results: list[CaseResult], name: str, expected: str) -> None:
    assert situation(named(results, name)) == expected


def test_a_name_ending_with_another_answer_is_shown_whole(results: list[CaseResult]) -> None:
    billable = named(results, "Benefits help is billable")
    wrong = replace(billable, case=replace(billable.case, name="Benefits help is not billable"))
    assert situation(wrong) == "Benefits help is not billable"


def test_an_example_is_one_list_item_with_its_answer_and_open_questions(
    clinic: Policy, results: list[CaseResult]
) -> None:
    chosen = [
        named(results, "A voicemail is not billable"),
        named(results, "A hand-off with nothing else known is undetermined"),
    ]
    lines = example_list(clinic, chosen)
    assert lines[0] == '<ul class="examples">' and lines[-2:] == ["</ul>", ""]
    assert lines[1] == (
        '<li data-case="A voicemail is not billable">A voicemail \u2014 '
        '<span class="outcome outcome-not-billable">Not billable</span></li>'
    )
    questions = " ".join(clinic.fact_index[name].question for name in chosen[1].decision.missing)
    assert lines[2].endswith(f"</span>; still to answer: {questions}</li>")


def test_an_example_escapes_the_case_name(clinic: Policy, results: list[CaseResult]) -> None:
    voicemail = named(results, "A voicemail is not billable")
    odd = replace(voicemail, case=replace(voicemail.case, name='A <b>"voicemail"</b> & more is not billable'))
    (line,) = example_list(clinic, [odd])[1:2]
    assert '<li data-case="A &lt;b&gt;&quot;voicemail&quot;&lt;/b&gt; &amp; more is not billable">' in line
    assert '>A &lt;b&gt;"voicemail"&lt;/b&gt; &amp; more \u2014 ' in line


# --- the corpus marker -----------------------------------------------------------------------

CASE = "  - name: Benefits help is billable\n    facts: {provider_credential: counselor, activity: benefits}\n    expect: {outcome: billable, rules: [benefits]}\n"


def test_the_corpus_marks_a_case_for_staff(tmp_path: Path, clinic: Policy) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(
        "cases:\n"
        + CASE
        + CASE.replace("Benefits help is", "Helping with benefits is").replace(
            "    facts:", "    staff_example: true\n    facts:"
        )
    )
    first, second = load_file(path, clinic)
    assert (first.staff_example, second.staff_example) == (False, True)


def test_a_marker_that_is_not_true_or_false_is_located(tmp_path: Path, clinic: Policy) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text("cases:\n" + CASE.replace("    facts:", "    staff_example: yes\n    facts:"))
    with pytest.raises(Problems) as caught:
        load_file(path, clinic)
    assert [(d.code, d.location.line if d.location else None) for d in caught.value.diagnostics] == [("schema.type", 3)]

"""The corpus cases that teach staff, each as one line of plain words with its answer.

In: the corpus's `CaseResult`s (every case run against the policy).
Out: the cases the site shows as examples — those quoting the county's table (a
case's `source`) and those a corpus file marks `staff_example: true` — and their
rendering as a list, one situation per line followed by its answer. The other cases
(boundaries, equivalences, cases that tell mutants apart) pin the policy for its
tests and stay off the site and out of its search index.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from billability.checks.corpus import Case, CaseResult
from billability.model.policy import Outcome
from billability.policy.compiled import Policy
from billability.policy.wording import badge

# How a case's name ends when it states its own answer; the line then leaves those
# words out, since the answer follows it.
_ANSWER_ENDINGS = {
    Outcome.BILLABLE: (" is still billable", " is billable"),
    Outcome.NOT_BILLABLE: (" is not billable",),
    Outcome.NEEDS_REVIEW: (" needs review",),
    Outcome.UNDETERMINED: (),
}


def teaches(case: Case) -> bool:
    """A case staff learn from: it quotes the county's table, or its file marks it for staff."""
    return case.staff_example or case.source is not None


def teaching(results: Iterable[CaseResult]) -> list[CaseResult]:
    return [result for result in results if teaches(result.case)]


def situation(result: CaseResult) -> str:
    """The case's name as a situation: its stated answer left out when the name ends with it."""
    name = result.case.name.strip().rstrip(".")
    for ending in _ANSWER_ENDINGS[result.decision.outcome]:
        if name.endswith(ending) and len(name) > len(ending):
            return name[: -len(ending)]
    return name


def example_list(policy: Policy, results: Sequence[CaseResult]) -> list[str]:
    """Markdown lines: one list of the examples, each `situation — answer`, the questions
    still to answer after an undetermined one. The item's `data-case` names the case."""
    lines = ['<ul class="examples">']
    for result in results:
        decision = result.decision
        answer = badge(decision.outcome)
        if decision.missing:
            questions = " ".join(
                html.escape(policy.fact_index[name].question, quote=False) for name in decision.missing
            )
            answer += f"; still to answer: {questions}"
        lines.append(
            f'<li data-case="{html.escape(result.case.name)}">{html.escape(situation(result), quote=False)} \u2014 {answer}</li>'
        )
    return [*lines, "</ul>", ""]

"""The outcomes `billability audit --fail-on` names: each once, in order, or located problems."""

from __future__ import annotations

import pytest

from billability.audit.fail_on import failing_outcomes
from billability.model.diagnostics import Location, Problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, ()),
        ("invalid", ("invalid",)),
        (" not_billable, invalid,not_billable ,", ("not_billable", "invalid")),
        ("not_audited,undetermined,needs_review,billable", ("not_audited", "undetermined", "needs_review", "billable")),
    ],
)
def test_the_outcomes_named(text: str | None, expected: tuple[str, ...]) -> None:
    assert failing_outcomes(text) == expected


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        ("not_billabel,invalid,nope", ["`not_billabel` is not an outcome", "`nope` is not an outcome"]),
        (" , ", ["no outcome is named"]),
        ("", ["no outcome is named"]),
    ],
)
def test_no_outcome_or_an_unknown_one_is_a_problem_at_the_option(text: str, messages: list[str]) -> None:
    with pytest.raises(Problems) as raised:
        failing_outcomes(text)
    problems = raised.value.diagnostics
    assert [d.message for d in problems] == messages
    assert {(d.code, d.location) for d in problems} == {("cli.fail-on", Location(f"option --fail-on `{text}`"))}
    assert all(d.hint for d in problems)


def test_a_close_misspelling_gets_a_suggestion() -> None:
    with pytest.raises(Problems) as raised:
        failing_outcomes("not_billabel")
    assert "not_billable" in (raised.value.diagnostics[0].hint or "")

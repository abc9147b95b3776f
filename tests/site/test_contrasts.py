"""The contrasts file: its problems stop the build, each with a code and a location."""

from __future__ import annotations

from pathlib import Path

import pytest

from billability.checks.corpus import CaseResult
from billability.model.diagnostics import Problems
from billability.site.contrasts import load_contrasts
from site_builds import CLINIC_CONTRASTS


def test_the_clinic_contrasts_load_in_order(results: list[CaseResult]) -> None:
    contrasts = load_contrasts(CLINIC_CONTRASTS, [result.case.name for result in results])
    assert [len(contrast.cases) for contrast in contrasts] == [2, 3]
    assert contrasts[0].cases[0] == "Calling a provider by phone is billable"
    assert contrasts[0].location.line == 4


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

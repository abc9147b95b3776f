"""A location shows as much of its place as it knows: the file, a whole line, or a
line and column; problems sort by it, a whole line before its columns."""

from __future__ import annotations

import pytest

from billability.decide.explain import diagnostics_github
from billability.model.diagnostics import Diagnostic, Location


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        (Location("policy/facts.yaml"), "policy/facts.yaml"),
        (Location("export.csv", 12), "export.csv:12"),
        (Location("policy/facts.yaml", 3, 7), "policy/facts.yaml:3:7"),
        (Location("policy/facts.yaml", 3, 1), "policy/facts.yaml:3:1"),
    ],
)
def test_a_location_shows_what_it_knows(location: Location, shown: str) -> None:
    assert str(location) == shown


def test_a_location_made_with_a_line_alone_is_the_whole_line() -> None:
    whole = Location("export.csv", 12)
    assert whole.column is None
    assert whole != Location("export.csv", 12, 1)


def test_a_whole_line_sorts_before_its_columns_and_after_the_file() -> None:
    found = [
        Diagnostic("b.code", "b", Location("export.csv", 2, 1)),
        Diagnostic("c.code", "c", Location("export.csv", 2)),
        Diagnostic("d.code", "d", Location("export.csv")),
        Diagnostic("a.code", "a", Location("export.csv", 1, 4)),
    ]
    assert [d.code for d in sorted(found, key=Diagnostic.sort_key)] == ["d.code", "a.code", "c.code", "b.code"]


def test_a_whole_line_is_annotated_from_its_column_0() -> None:
    annotations = diagnostics_github(
        [
            Diagnostic("records.header", "no name", Location("export.csv", 1)),
            Diagnostic("x.y", "z", Location("a", 2, 5)),
        ]
    )
    assert annotations.splitlines() == [
        "::error file=export.csv,line=1,col=0::[records.header] no name",
        "::error file=a,line=2,col=5::[x.y] z",
    ]

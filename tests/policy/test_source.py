"""Strict YAML reading: every problem is located, nothing is guessed."""

from __future__ import annotations

import time

import pytest

from billability.model.diagnostics import Problems
from billability.policy.source import MAX_BYTES, read_yaml


def codes_at(text: str | bytes) -> list[tuple[str, int, int]]:
    with pytest.raises(Problems) as raised:
        read_yaml(text, "f.yaml")
    return [(d.code, d.location.line, d.location.column) for d in raised.value.diagnostics if d.location]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: true\nb: false\n", {"a": True, "b": False}),
        ("a: no\nb: off\nc: y\nd: yes\ne: on\n", {"a": "no", "b": "off", "c": "y", "d": "yes", "e": "on"}),
        ("a: \"true\"\nb: 'false'\n", {"a": "true", "b": "false"}),
        ("a: 30\nb: -2\nc: 1.5\n", {"a": 30, "b": -2, "c": 1.5}),
        ("a: 2026-11-27\n", {"a": "2026-11-27"}),
        ("a: 0o17\nb: 0x1f\nc: 1_000\n", {"a": "0o17", "b": "0x1f", "c": "1_000"}),
        ("a:\nb: ~\nc: null\n", {"a": None, "b": None, "c": None}),
        ("a: &x [1, 2]\nb: *x\n", {"a": [1, 2], "b": [1, 2]}),
        ("\ufeffa: 1\n", {"a": 1}),
    ],
)
def test_scalars_are_typed_strictly(text: str, expected: object) -> None:
    assert read_yaml(text, "f.yaml").data == expected


def test_locations_of_values_and_keys() -> None:
    located = read_yaml("rules:\n  - id: one\n    when:\n      activity: x\n", "f.yaml")
    assert str(located.where(("rules", 0, "when", "activity"))) == "f.yaml:4:17"
    assert str(located.where_key(("rules", 0, "when", "activity"))) == "f.yaml:4:7"
    assert str(located.where(("rules", 0, "nothing", "here"))) == "f.yaml:2:5"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb: 2\na: 3\n", [("yaml.duplicate-key", 3, 1)]),
        ("x:\n  a: 1\n  a: 2\ny: 1\ny: 2\n", [("yaml.duplicate-key", 3, 3), ("yaml.duplicate-key", 5, 1)]),
        ("base: &b {a: 1}\nother:\n  <<: *b\n", [("yaml.merge-key", 3, 3)]),
        ("a: !python/object x\n", [("yaml.tag", 1, 4)]),
        ("a: !!int 3\n", [("yaml.tag", 1, 4)]),
        # Where to look: the bracket left open, the line indented off.
        ("a: [1, 2\n", [("yaml.syntax", 1, 4)]),
        ("a: 1\n  b: 2\n", [("yaml.syntax", 2, 3)]),
        ("a: 1\n---\nb: 2\n", [("yaml.syntax", 2, 1)]),
        ("? [a]\n: 1\n", [("yaml.key", 1, 3)]),
        ("", [("file.empty", 1, 1)]),
        ("# only a comment\n\n", [("file.empty", 1, 1)]),
        (b"a: 1\nb: caf\xe9\n", [("file.encoding", 2, 7)]),
    ],
)
def test_problems_are_located(text: str | bytes, expected: list[tuple[str, int, int]]) -> None:
    assert codes_at(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A tab that indents a line, wherever the line is.
        ("a:\n\tb: 1\n", [(2, 1, True)]),
        ("\ta: 1\n", [(1, 1, True)]),
        ("a:\n  b:\n  \tc: 1\n", [(3, 3, True)]),
        ("rules:\n  - id: x\n\t  title: y\n", [(3, 1, True)]),
        # Every tab-indented line at once, even when the first one breaks the structure.
        ("a:\n  b: 1\n\tc: 2\n\td: 3\n", [(3, 1, True), (4, 1, True)]),
        # A tab between the parts of a line.
        ("a:\t1\n", [(1, 3, False)]),
        ("a: [1,\t2]\n", [(1, 7, False)]),
        ("a: b\t# a comment\n", [(1, 5, False)]),
        ("a:\t1\nb:\t2\n", [(1, 3, False), (2, 3, False)]),
    ],
)
def test_a_tab_is_located_with_a_hint(text: str, expected: list[tuple[int, int, bool]]) -> None:
    with pytest.raises(Problems) as raised:
        read_yaml(text, "f.yaml")
    found = raised.value.diagnostics
    assert [(d.code, d.location.line, d.location.column) for d in found if d.location] == [
        ("yaml.tab", line, column) for line, column, _ in expected
    ]
    assert all(d.hint for d in found)
    # A tab that indents gets the same hint everywhere; a tab between parts another one.
    indenting = {d.hint for d, (*_, indents) in zip(found, expected, strict=True) if indents}
    between = {d.hint for d, (*_, indents) in zip(found, expected, strict=True) if not indents}
    assert len(indenting) <= 1 and len(between) <= 1 and not indenting & between


@pytest.mark.parametrize("text", ['a: "x\ty"\n', "a: 'x\ty'\n", "# a\tcomment\na: 1\n"])
def test_a_tab_inside_quotes_or_a_comment_is_text(text: str) -> None:
    read_yaml(text, "f.yaml")


def test_all_problems_of_a_file_are_reported_at_once_in_order() -> None:
    text = "a: 1\na: 2\nb: !tag x\nc:\n  <<: {}\n"
    assert [code for code, *_ in codes_at(text)] == ["yaml.duplicate-key", "yaml.tag", "yaml.merge-key"]


def test_alias_bombs_are_refused_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        prev = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    started = time.perf_counter()
    codes = [code for code, *_ in codes_at("\n".join(lines) + "\n")]
    assert codes == ["yaml.too-many-nodes"]
    # Not a speed assertion: a bound far above the expected milliseconds, so an
    # expansion of 9**10 values (which would never finish) cannot pass.
    assert time.perf_counter() - started < 60


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n", "a: " + "[" * 5000 + "]" * 5000 + "\n"])
def test_recursion_and_deep_nesting_are_refused(text: str) -> None:
    assert [code for code, *_ in codes_at(text)] == ["yaml.too-deep"]


def test_enormous_files_are_refused() -> None:
    with pytest.raises(Problems) as raised:
        read_yaml("a: " + "x" * MAX_BYTES + "\n", "f.yaml")
    assert [d.code for d in raised.value.diagnostics] == ["file.too-large"]

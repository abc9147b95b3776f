"""Schema diagnostics speak the maintainer's words: over a broad table of wrong values,
missing keys and bad names in policy, corpus and mapping files, no message or hint shows
Python's rendering of the value (`{'a': 1}`, `['x']`, `True`, `None`, quotes) or the JSON
Schema library's wording; every keyword the schemas use is among the mistakes made; and
a value that fits none of an `anyOf`'s forms is told about the form it was meant for."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import jsonschema
import pytest
import yaml

from billability.model.diagnostics import Diagnostic
from billability.model.resources import schema_dir
from billability.policy.schema import CORPUS_FILE, POLICY_FILE, check, yamlish
from billability.policy.source import read_yaml
from policy_texts import FACTS, HEADER, paths, rule

MAPPING_FILE = "mapping.schema.json"

POLICY = (
    HEADER
    + FACTS.replace(
        "    question: How long?\n    relevant_when: always",
        "    question: How long?\n    relevant_when:\n      any:\n        - activity: [talk, drive]\n        - not: {reached: false}",
    )
    + "rules:\n"
    + rule("talk", "billable", "activity: talk\nminutes: {more_than: 5, at_most: 30}")
    + rule("drive", "not_billable", "all:\n  - activity: drive\n  - not:\n      reached: true")
)
CORPUS = """\
cases:
  - name: A talk is billable
    facts: {activity: talk, minutes: 10}
    expect: {outcome: billable, rules: [talk], missing: [reached]}
    source: Talk to the client.
    staff_example: true
"""
MAPPING = """\
policy: small
facts:
  activity: {column: kind, codes: {T: talk, D: drive, U: ~, Y: true, N: 3}}
summary: {minutes: mins, staff: who, program: prog}
"""
FILES = {"policy": (POLICY, POLICY_FILE), "corpus": (CORPUS, CORPUS_FILE), "mapping": (MAPPING, MAPPING_FILE)}

# Wrong values of every shape, each put in every place of every file.
WRONG: list[Any] = [
    None,
    1.5,
    True,
    False,
    0,
    -1,
    "",
    "Some Text",
    [],
    [None],
    ["x", "y"],
    ["billable", "not_billable", "needs_review", "billable"],
    {},
    {"a": 1},
    {"more_than": 1, "at_least": 2},
    {"less_than": 9, "at_most": 8, "more_than": "x"},
    {"more_than": None},
]

# What Python and the JSON Schema library would say.
JARGON = re.compile(
    r"\{'|\['|'\]|'\}|': |\bTrue\b|\bFalse\b|\bNone\b|is not valid under|should not be valid|is not of type"
    r"|Additional properties|does not match|is a required property|is too (short|long)|non-unique|was expected"
    r"|is not one of|should be non-empty|is not allowed for|Failed validating"
)


def changed(data: Any, path: tuple[Any, ...], change: Any) -> Any:
    """A copy of `data` with `change` applied to the value at `path`."""
    data = copy.deepcopy(data)
    if not path:
        return change(data)
    node = data
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = change(node[path[-1]])
    return data


def first_key(how: str) -> Any:
    """Delete a mapping's first key, or rename it to a bad name or a reserved one."""

    def apply(mapping: Any) -> Any:
        if not isinstance(mapping, dict) or not mapping:
            return mapping
        key = next(iter(mapping))
        value = mapping.pop(key)
        if how != "delete":
            mapping[{"bad": "Bad Name", "reserved": "all"}[how]] = value
        return mapping

    return apply


def mistakes() -> Iterator[tuple[str, str, Any, str]]:
    """(file kind, schema, a wrong document, what was done) for every place and mistake."""
    for kind, (text, schema) in FILES.items():
        data = yaml.safe_load(text)
        for path in paths(data):
            where = ".".join(map(str, path)) or "file"
            for value in WRONG:
                yield kind, schema, changed(data, path, lambda _, v=value: copy.deepcopy(v)), f"{where} = {value!r}"
            for how in ("delete", "bad", "reserved"):
                yield kind, schema, changed(data, path, first_key(how)), f"{where}: {how} first key"


@cache
def diagnosed() -> tuple[tuple[str, str, Any, str, tuple[Diagnostic, ...]], ...]:
    found = []
    for kind, schema, document, what in mistakes():
        located = read_yaml(yaml.safe_dump(document, sort_keys=False), f"{kind}.yaml")
        found.append((kind, schema, document, what, tuple(check(located, schema))))
    return tuple(found)


def test_the_table_of_mistakes_is_broad() -> None:
    found = diagnosed()
    assert len(found) > 1000
    assert sum(1 for *_, diagnostics in found if diagnostics) > 900
    assert {kind for kind, *_ in found} == set(FILES)


def test_no_schema_message_shows_python_or_the_schema_library() -> None:
    for _, _, _, what, diagnostics in diagnosed():
        for diagnostic in diagnostics:
            for text in (diagnostic.message, diagnostic.hint or ""):
                assert not JARGON.search(text), (what, diagnostic.render())


def test_a_text_value_is_quoted_as_the_maintainer_wrote_it() -> None:
    for _, _, _, what, diagnostics in diagnosed():
        for diagnostic in diagnostics:
            assert "'Some Text'" not in diagnostic.message and "'x'" not in diagnostic.message, (
                what,
                diagnostic.render(),
            )


def test_every_schema_mistake_is_located_and_coded() -> None:
    for _, _, _, what, diagnostics in diagnosed():
        for diagnostic in diagnostics:
            assert diagnostic.code.startswith("schema."), (what, diagnostic.render())
            assert diagnostic.location is not None and diagnostic.location.line >= 1, (what, diagnostic.render())


# Keywords that only hold other schemas or say nothing a value can break.
_STRUCTURE = {"$schema", "$id", "$ref", "$defs", "title", "description", "properties", "items", "allOf", "if", "then"}


def keywords(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key not in ("properties", "$defs"):
                yield key
            if key in ("properties", "$defs"):
                for inner in value.values():
                    yield from keywords(inner)
            elif isinstance(value, (dict, list)):
                yield from keywords(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from keywords(item)


@cache
def validator(name: str) -> Any:
    schema = json.loads((schema_dir() / name).read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


def broken(error: Any) -> Iterator[str]:
    yield str(error.validator)
    if "propertyNames" in error.relative_schema_path:  # reported as the keyword the name breaks
        yield "propertyNames"
    for inner in error.context or ():
        yield from broken(inner)


def test_the_mistakes_break_every_keyword_the_schemas_use() -> None:
    used: set[str] = set()
    for _, schema in FILES.values():
        used |= set(keywords(json.loads((schema_dir() / schema).read_text(encoding="utf-8")))) - _STRUCTURE
    hit: set[str] = set()
    for _, schema, document, _, _ in diagnosed():
        for error in validator(schema).iter_errors(document):
            hit.update(broken(error))
    assert used - hit == set()


# --- what the maintainer reads -------------------------------------------------------------------


def diagnostics_of(when: str) -> list[tuple[str, int, int, str, str | None]]:
    text = HEADER + FACTS + "rules:\n" + rule("r", "billable", when)
    return [
        (d.code, d.location.line, d.location.column, d.message, d.hint)
        for d in check(read_yaml(text, "policy.yaml"), POLICY_FILE)
        if d.location is not None
    ]


@pytest.mark.parametrize(
    ("when", "code", "column", "words"),
    [
        # The forms of a fact's test: the one the value was meant for speaks.
        ("minutes: {more_than: 30, at_least: 31}", "schema.not-together", 32, "`more_than` and `at_least` cannot both"),
        ("minutes: {more_than: thirty}", "schema.type", 28, "expected a whole number, found `thirty`"),
        ("minutes: {mor_than: 3}", "schema.unknown-key", 17, "`mor_than` is not a known key"),
        ("minutes: 1.5", "schema.type", 16, "a list, or a mapping, found `1.5`"),
        ("minutes: {}", "schema.empty", 16, "must not be empty"),
        ("activity: [talk, [drive]]", "schema.type", 24, "found `[drive]`"),
        ("not: sometimes", "schema.type", 12, "expected a mapping, found `sometimes`"),
    ],
)  # fmt: skip
def test_an_any_of_is_told_about_the_form_the_value_was_meant_for(
    when: str, code: str, column: int, words: str
) -> None:
    ((found, line, found_column, message, _),) = diagnostics_of(when)
    assert (found, line, found_column) == (code, 43, column)
    assert words in message


def test_a_value_of_no_allowed_form_gets_the_forms_and_a_hint() -> None:
    ((code, _, _, message, hint),) = diagnostics_of("minutes: 1.5")
    assert code == "schema.type"
    assert message.startswith("expected text, true or false, a whole number, a list, or a mapping")
    assert hint is not None and "{more_than: 30, at_most: 45}" in hint


@pytest.mark.parametrize(
    ("line", "replacement", "code", "words", "hint"),
    [
        ('  version: "1.0"', "  version: 1.0", "schema.type", "expected text, found `1.0`", 'put it in quotes: `"1.0"`'),
        ('  effective_from: "2026-01-01"', "  effective_from: 1 January", "schema.pattern",
         "`1 January` is not a date written YYYY-MM-DD", "such as `2026-01-01`"),
        ("  id: small", "  id: Small Policy", "schema.pattern", "`Small Policy` is not an id", "joined by `-`"),
        ("    relevant_when: always", "    relevant_when: sometimes", "schema.const",
         "expected `always`, found `sometimes`", "when the fact is asked"),
        ("    relevant_when: always", "    relevant_when: [always]", "schema.type",
         "expected `always` or a mapping, found `[always]`", "when the fact is asked"),
    ],
)  # fmt: skip
def test_a_wrong_value_is_named_as_written_with_a_hint(
    line: str, replacement: str, code: str, words: str, hint: str
) -> None:
    text = HEADER + FACTS + "rules:\n" + rule("r", "billable", "activity: talk")
    assert line in text
    found = check(read_yaml(text.replace(line, replacement, 1), "policy.yaml"), POLICY_FILE)
    assert [(d.code, words in d.message, hint in (d.hint or "")) for d in found][:1] == [(code, True, True)]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ({"more_than": 30, "at_most": 45}, "{more_than: 30, at_most: 45}"),
        (["phone", "video"], "[phone, video]"),
        (True, "true"),
        (None, "~"),
        ({"a": [1, {"b": False}]}, "{a: [1, {b: false}]}"),
        ("two\nlines", "two lines"),
        (list(range(40)), "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16..."),
    ],
)
def test_values_are_written_as_yaml(value: Any, written: str) -> None:
    assert yamlish(value) == written

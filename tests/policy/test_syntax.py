"""YAML syntax errors in plain words: each mistake a maintainer makes in a policy file
(a key indented one space off, a missing `:`, an unclosed quote or bracket, a tab, a
list item at the wrong level, a `: ` inside an unquoted reason) is one `yaml.syntax`
(or `yaml.tab`) diagnostic located where the writer must look, with a hint, and with
none of PyYAML's own words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from billability.cli import main
from billability.model.diagnostics import Diagnostic, Problems
from billability.policy.source import read_yaml
from policy_texts import FACTS, HEADER, rule, write_small_policy

RULES = rule("talk", "billable", "activity: talk\nminutes: {more_than: 4}") + rule(
    "drive", "not_billable", "activity: drive"
)
TEXT = HEADER + FACTS + "rules:\n" + RULES
LINES = TEXT.split("\n")

# What PyYAML says, which no message or hint may repeat.
JARGON = re.compile(
    r"mapping values|<block|<scalar>|<stream|while scanning|while parsing|could not find expected|simple key"
    r"|cannot start any token|but found|but got|expected ','|end of stream|undefined alias|another document"
    r"|block mapping|block collection|flow sequence|flow mapping|quoted scalar|token|'\\t'|\\x"
)


def line_of(text: str) -> int:
    """The first line (from 1) of TEXT that holds `text` (the mistakes are all in the first rule)."""
    return next(number for number, line in enumerate(LINES, 1) if text in line)


def edited(old: str, new: str) -> str:
    assert TEXT.count(old) == 1, old
    return TEXT.replace(old, new)


def problems(text: str) -> tuple[Diagnostic, ...]:
    with pytest.raises(Problems) as raised:
        read_yaml(text, "policy.yaml")
    return raised.value.diagnostics


# (what was done, the text, code, line, column, words the message holds)
MISTAKES = [
    # A rule's key indented one space more, one less, or back to the list's level.
    ("a rule key indented one space more", edited("    topic: general\n    outcome: billable", "    topic: general\n     outcome: billable"),
     "yaml.syntax", line_of("topic: general") + 1, 6, "indented more than `topic:`"),
    ("a rule key indented one space less", edited("    topic: general\n    outcome: billable", "    topic: general\n   outcome: billable"),
     "yaml.syntax", line_of("topic: general") + 1, 4, "lines up with no key"),
    ("a rule key at the level of the list", edited("    topic: general\n    outcome: billable", "    topic: general\n  outcome: billable"),
     "yaml.syntax", line_of("topic: general") + 1, 3, "beside list items"),
    ("a condition indented one space more", edited("      activity: talk\n      minutes", "      activity: talk\n       minutes"),
     "yaml.syntax", line_of("minutes: {more_than: 4}"), 8, "indented more than `activity:`"),
    ("a condition indented one space less", edited("      activity: talk\n      minutes", "      activity: talk\n     minutes"),
     "yaml.syntax", line_of("minutes: {more_than: 4}"), 6, "lines up with no key"),
    ("a fact's value indented one space less", edited("      talk: {label: Talk}", "     talk: {label: Talk}"),
     "yaml.syntax", line_of("drive: {label: Drive}"), 7, "the keys of one mapping line up"),
    ("a top-level key indented", edited("topics:\n", " topics:\n"),
     "yaml.syntax", line_of("topics:"), 2, "lines up with no key"),
    # A key without its colon, or with no space after it: located at the key.
    ("a missing colon", edited("    topic: general\n    outcome: billable", "    topic general\n    outcome: billable"),
     "yaml.syntax", line_of("topic: general"), 5, "`topic general` has no `:`"),
    ("no space after the colon", edited("    topic: general\n    outcome: billable", "    topic:general\n    outcome: billable"),
     "yaml.syntax", line_of("topic: general"), 5, "needs a space after the `:`"),
    ("text after `|` not indented", edited("    reason: because\n    source: [Talk to the client.]\n  - id: drive",
                                           "    reason: |\n    because\n    source: [Talk to the client.]\n  - id: drive"),
     "yaml.syntax", line_of("reason: because") + 1, 5, "must be indented more than `reason`"),
    # Quotes and brackets left open: located where they open, not where the file ends.
    ("an unclosed double quote", edited('  version: "1.0"', '  version: "1.0'),
     "yaml.syntax", line_of("version:"), 12, "is not closed on its line"),
    ("an unclosed single quote", edited("    reason: because\n    source: [Talk to the client.]\n  - id: drive",
                                        "    reason: 'because\n    source: [Talk to the client.]\n  - id: drive"),
     "yaml.syntax", line_of("reason: because"), 13, "is not closed on its line"),
    ("an unclosed bracket", edited("source: [Talk to the client.]\n  - id: drive", "source: [Talk to the client.\n  - id: drive"),
     "yaml.syntax", line_of("id: drive") - 1, 13, "the `[` that starts here is not closed"),
    ("an unclosed brace", edited("minutes: {more_than: 4}", "minutes: {more_than: 4"),
     "yaml.syntax", line_of("minutes: {more_than: 4}"), 16, "the `{` that starts here is not closed"),
    ("a bracket too many", edited("source: [Talk to the client.]\n  - id: drive", "source: [Talk to the client.]]\n  - id: drive"),
     "yaml.syntax", line_of("id: drive") - 1, 34, "closes nothing"),
    ("text after a closing quote", edited("    reason: because\n    source: [Talk to the client.]\n  - id: drive",
                                          '    reason: "because" the table says\n    source: [Talk to the client.]\n  - id: drive'),
     "yaml.syntax", line_of("reason: because"), 23, "text follows the closing quote"),
    ("an unknown escape", edited('  version: "1.0"', '  version: "1.0\\q"'),
     "yaml.syntax", line_of("version:"), 16, "`\\q` is not an escape"),
    # A tab: at the tab.
    ("a tab", edited("    topic: general\n    outcome: billable", "\ttopic: general\n    outcome: billable"),
     "yaml.tab", line_of("topic: general"), 1, "a tab indents this line"),
    # A list item at the wrong level, or without its space.
    ("a list item indented more", edited("  - id: drive", "    - id: drive"),
     "yaml.syntax", line_of("id: drive"), 5, "is indented 4 spaces, but the item `- id: talk`"),
    ("a list item indented less", edited("  - id: drive", "- id: drive"),
     "yaml.syntax", line_of("id: drive"), 1, "is indented 0 spaces, but the item `- id: talk`"),
    ("a dash without its space", edited("  - id: drive", "  -id: drive"),
     "yaml.syntax", line_of("id: drive"), 3, "needs a space after `-`"),
    ("a key after list items", edited("      activity: talk\n      minutes", "      - activity: talk\n      minutes"),
     "yaml.syntax", line_of("minutes: {more_than: 4}"), 7, "beside list items"),
    # `: ` inside an unquoted reason or title: at the colon.
    ("a colon inside a reason", edited("    reason: because\n    source: [Talk to the client.]\n  - id: drive",
                                       "    reason: because: the table says so\n    source: [Talk to the client.]\n  - id: drive"),
     "yaml.syntax", line_of("reason: because"), 20, "the value of `reason` holds `: `"),
    ("a colon inside a title", edited("    title: talk\n", "    title: Talk: to the client\n"),
     "yaml.syntax", line_of("title: talk"), 16, "the value of `title` holds `: `"),
    # Characters YAML keeps for itself at the start of a value.
    ("a reason starting with @", edited("    reason: because\n    source: [Talk to the client.]\n  - id: drive",
                                        "    reason: @home visits\n    source: [Talk to the client.]\n  - id: drive"),
     "yaml.syntax", line_of("reason: because"), 13, "cannot start with `@`"),
    ("a reason starting with *", edited("    reason: because\n    source: [Talk to the client.]\n  - id: drive",
                                        "    reason: *always*\n    source: [Talk to the client.]\n  - id: drive"),
     "yaml.syntax", line_of("reason: because"), 13, "cannot start with `*`"),
    ("a reason that reads as a reference", edited("    reason: because\n    source: [Talk to the client.]\n  - id: drive",
                                                  "    reason: *see below\n    source: [Talk to the client.]\n  - id: drive"),
     "yaml.syntax", line_of("reason: because"), 13, "`*see` refers to `&see`"),
    ("a second part after ---", TEXT + "---\nrules: []\n",
     "yaml.syntax", len(LINES), 1, "starts a second part of the file"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "code", "line", "column", "words"),
    [mistake[1:] for mistake in MISTAKES],
    ids=[mistake[0] for mistake in MISTAKES],
)
def test_each_mistake_is_said_in_plain_words_where_to_look(
    text: str, code: str, line: int, column: int, words: str
) -> None:
    (found,) = problems(text)
    assert found.location is not None
    assert (found.code, found.location.line, found.location.column) == (code, line, column), found.render()
    assert words in found.message, found.render()
    assert found.hint
    assert not JARGON.search(found.message + found.hint), found.render()


@pytest.mark.parametrize(
    "damage",
    [
        lambda line: " " + line,
        lambda line: line[1:] if line.startswith(" ") else line,
        lambda line: line.replace(": ", " ", 1),
        lambda line: line.replace(": ", ":", 1),
        lambda line: line + ": x",
        lambda line: line.replace("]", "", 1).replace("}", "", 1),
        lambda line: line.replace("[", "[[", 1),
        lambda line: line.replace(": ", ': "', 1),
        lambda line: line.replace("- ", "-", 1),
        lambda line: line + " ]",
        lambda line: line + ' "x',
        lambda line: line.replace(": ", ": @", 1),
        lambda line: line.replace(": ", ": `", 1),
    ],
    ids=[
        "indent more",
        "indent less",
        "drop colon",
        "no space after colon",
        "colon at end",
        "drop closing",
        "open twice",
        "open quote",
        "dash without space",
        "stray bracket",
        "stray quote",
        "at sign",
        "backquote",
    ],
)
def test_no_damage_to_any_line_gets_parser_jargon(damage: object) -> None:
    """Every line of the policy damaged the same way: whatever cannot be read is told
    in plain words, with a hint, on a line of the file."""
    assert callable(damage)
    told, wrong = 0, []
    for number in range(len(LINES)):
        lines = list(LINES)
        lines[number] = damage(lines[number])
        try:
            read_yaml("\n".join(lines), "policy.yaml")
        except Problems as raised:
            for found in raised.diagnostics:
                if not found.code.startswith("yaml."):
                    continue
                told += 1
                plain = found.hint and not JARGON.search(found.message + found.hint)
                if not plain or found.location is None or not 1 <= found.location.line <= len(lines):
                    wrong.append(f"line {number + 1} `{lines[number]}`: {found.render()}")
    assert wrong == []
    assert told


def test_a_control_character_is_named_by_its_code_point() -> None:
    (found,) = problems("a: b\x07c\n")
    assert (found.code, found.location.line, found.location.column) == ("yaml.syntax", 1, 5)  # type: ignore[union-attr]
    assert "U+0007" in found.message and "\\x" not in found.message and "'" not in found.message


def test_validate_tells_an_indentation_mistake_in_plain_words(tmp_path: Path) -> None:
    root = write_small_policy(tmp_path / "policy", RULES.replace("    outcome: billable", "     outcome: billable", 1))
    result = CliRunner().invoke(main, ["validate", str(root)])
    assert result.exit_code == 1
    line = line_of("topic: general") + 1
    assert f"policy.yaml:{line}:6: error[yaml.syntax]: `outcome:` is indented more than `topic:`" in result.stderr
    assert "\n  hint: the keys of one mapping start in the same column: `topic:` in column 5" in result.stderr
    assert not JARGON.search(result.stderr)
    assert "Traceback" not in result.stderr


def test_a_corpus_file_mistake_is_told_in_the_same_words(tmp_path: Path) -> None:
    root = write_small_policy(tmp_path / "policy", RULES)
    corpus = tmp_path / "cases.yaml"
    corpus.write_text(
        "cases:\n  - name: A talk is billable\n    facts: {activity: talk, minutes: 10\n"
        "    expect: {outcome: billable}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["test", "--policy", str(root), str(corpus)])
    assert result.exit_code != 0
    assert "cases.yaml:3:12: error[yaml.syntax]: the `{` that starts here is not closed on its line" in result.stderr
    assert not JARGON.search(result.stderr)

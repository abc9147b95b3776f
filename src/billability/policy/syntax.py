"""Say what a YAML syntax error means, in the words of the person who wrote the file.

In: the text of a file, its name, and the error PyYAML raised reading it.
Out: one `yaml.syntax` diagnostic with a message and a hint in plain words, located
where the writer must look, which is not always where PyYAML stopped: an unclosed
quote or bracket is located where it opens (PyYAML's `context_mark`), a key without
its `:` where the key starts, a misaligned line at its first character.

PyYAML reports what its scanner or parser expected (`mapping values are not allowed
here`, `expected <block end>, but found '<block mapping start>'`). Most of these come
from a few mistakes, each told apart here by looking at the lines around the mark: a
line indented more or less than its neighbours, a `: ` inside an unquoted value, a
missing `:` or a missing space after it, a quote or bracket left open, a list item at
the wrong level, text after a closing quote. What none of them explains gets a plain
message that says where YAML stopped reading and what to look at.

The mistakes are one list, tried in order, most telling first, and read best whole: the
order is the logic, and each one's wording is weighed against its neighbours'.
`syntax_lines` reads the lines around the mark.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml

from billability.model.diagnostics import Diagnostic, Location
from billability.policy.syntax_lines import (
    MarkedText,
    has_content,
    indent_of,
    is_item,
    key_column,
    key_of,
    line_name,
    open_levels,
    opens_block,
    quoted_line,
    shortened,
    spaces,
    tokens,
)

CODE = "yaml.syntax"


def syntax_problem(text: str, file: str, error: yaml.MarkedYAMLError) -> Diagnostic:
    """The diagnostic for a YAML error PyYAML located (`problem_mark` or `context_mark`)."""

    def place(mark: Any) -> tuple[int, int] | None:
        return (mark.line, mark.column) if mark is not None else None

    seen = MarkedText(
        tuple(text.split("\n")),
        file,
        (error.problem or "").strip(),
        (error.context or "").strip(),
        place(error.problem_mark),
        place(error.context_mark),
    )
    for explain in _EXPLANATIONS:
        found = explain(seen, text)
        if found is not None:
            return found
    where = seen.problem_at or seen.context_at
    return Diagnostic(
        CODE,
        "YAML cannot read the file from here",
        seen.at(*where) if where else Location(file),
        hint="check the indentation, quotes and brackets of this line and of the line above it",
    )


# --- the mistakes, most telling first ------------------------------------------------------


def _unclosed_quote(seen: MarkedText, text: str) -> Diagnostic | None:
    """`reason: "because` with no closing quote: the file ends inside the quotes, or the
    quotes close on a later line and what follows them cannot be read."""
    opened: tuple[int, int] | None = None
    if seen.problem.startswith("found unexpected end of stream") and "quoted scalar" in seen.context:
        opened = seen.context_at
    elif seen.problem_at is not None:
        # A quoted value that runs over lines and stops right where reading fails.
        for token in tokens(text):
            if (
                isinstance(token, yaml.ScalarToken)
                and token.style in ('"', "'")
                and token.start_mark.line < token.end_mark.line == seen.problem_at[0]
            ):
                opened = (token.start_mark.line, token.start_mark.column)
    if opened is None:
        return None
    quote = seen.line(opened[0])[opened[1] : opened[1] + 1] or '"'
    inside = (
        'write a `"` inside double quotes as `\\"`' if quote == '"' else "write an `'` inside single quotes as `''`"
    )
    return Diagnostic(
        CODE,
        f"the quote `{quote}` that starts here is not closed on its line",
        seen.at(*opened),
        hint=f"end the text with `{quote}` on the same line; {inside}",
    )


def _unknown_escape(seen: MarkedText, text: str) -> Diagnostic | None:
    """`"C:\\path"`: a backslash starts an escape inside double quotes."""
    if not seen.problem.startswith("found unknown escape character") or seen.problem_at is None:
        return None
    line, column = seen.problem_at
    escape = seen.line(line)[max(column - 1, 0) : column + 1]
    return Diagnostic(
        CODE,
        f"`{escape}` is not an escape YAML knows inside double quotes",
        seen.at(line, max(column - 1, 0)),
        hint="write a backslash as `\\\\`, or put the text in single quotes",
    )


_NO_START = re.compile(r"found character '(.+)' that cannot start any token")
_CHARACTER_NAMES = {"`": "a backquote (`` ` ``)", "@": "`@`", "%": "`%`"}


def _cannot_start(seen: MarkedText, text: str) -> Diagnostic | None:
    """`reason: @home` or `` reason: `code` ``: characters YAML keeps for itself."""
    match = _NO_START.match(seen.problem)
    if match is None or seen.problem_at is None:
        return None
    line, column = seen.problem_at
    character = seen.line(line)[column : column + 1] or match.group(1)
    named = _CHARACTER_NAMES.get(character, f"`{character}`")
    return Diagnostic(
        CODE,
        f"a value cannot start with {named}",
        seen.at(line, column),
        hint=f"put the value in quotes: `{quoted_line(seen.line(line), column)}`",
    )


def _colon_in_value(seen: MarkedText, text: str) -> Diagnostic | None:
    """`reason: because: the table says so`: the second `: ` reads as another key."""
    if seen.problem != "mapping values are not allowed here" or seen.problem_at is None:
        return None
    line, column = seen.problem_at
    before = seen.line(line)[:column]
    key = key_of(before)
    if key is None:
        return None
    return Diagnostic(
        CODE,
        f"the value of `{key}` holds `: `, which YAML reads as the start of another key",
        seen.at(line, column),
        hint=f"put the value in quotes: `{quoted_line(seen.line(line), before.index(':') + 1)}`",
    )


def _indented_more(seen: MarkedText, text: str) -> Diagnostic | None:
    """A key indented more than the line above, whose value it then reads as going on;
    or a line above that is no key at all (`id small`, `id:small`, `-id: x`)."""
    if seen.problem != "mapping values are not allowed here" or seen.problem_at is None:
        return None
    line = seen.problem_at[0]
    above = seen.above(line)
    if above is None:
        return None
    at_fault = _not_a_key(seen, above)
    if at_fault is not None:
        return at_fault
    name, sibling = line_name(seen.line(line)), line_name(seen.line(above), inner=True)
    return Diagnostic(
        CODE,
        f"{name} is indented more than {sibling} on line {above + 1}, so YAML reads it as more of that line's value",
        seen.start_of(line),
        hint=f"the keys of one mapping start in the same column: {sibling} in column {key_column(seen.line(above)) + 1}, "
        f"{name} in column {indent_of(seen.line(line)) + 1}",
    )


def _not_a_key(seen: MarkedText, line: int) -> Diagnostic | None:
    """A line meant as `key: value` that YAML cannot read as one: a list item's `-` with
    no space after it, a `:` with no space after it, or no `:` at all."""
    content = seen.line(line).strip()
    if re.match(r"-[^\s-]", content):
        return Diagnostic(
            CODE,
            f"`{shortened(content)}` needs a space after `-` to be a list item",
            seen.start_of(line),
            hint=f"write `- {shortened(content[1:])}`",
        )
    glued = re.match(r"(-\s+)?([^\s:#'\"]+):(\S.*)$", content)
    if glued is not None and key_of(content) is None:
        return Diagnostic(
            CODE,
            f"`{glued.group(2)}:` needs a space after the `:`",
            seen.start_of(line),
            hint=f"write `{glued.group(1) or ''}{glued.group(2)}: {glued.group(3)}`",
        )
    if key_of(content) is None and not is_item(content) and not content.startswith(("'", '"', "[", "{")):
        first, _, rest = content.partition(" ")
        written = f"`{first}: {rest.strip()}`" if rest.strip() else f"`{first}:`"
        return Diagnostic(
            CODE,
            f"`{shortened(content)}` has no `:`, so it is neither a key nor part of a value",
            seen.start_of(line),
            hint=f"if `{first}` is a key, write {written}; "
            "if the line goes on with the text above it, indent it more than that text's key",
        )
    return None


def _missing_colon(seen: MarkedText, text: str) -> Diagnostic | None:
    """`topic general`, `topic:general`, or the text of `reason: |` not indented under it."""
    if not seen.problem.startswith("could not find expected ':'") or seen.context_at is None:
        return None
    line = seen.context_at[0]
    content = seen.line(line).strip()
    above = seen.above(line)
    if above is not None and re.search(r":\s*[|>][-+0-9]*\s*(#.*)?$", seen.line(above)):
        key = key_of(seen.line(above)) or "the key"
        return Diagnostic(
            CODE,
            f"the text of `{key}` after `|` or `>` must be indented more than `{key}`",
            seen.start_of(line),
            hint=f"indent its lines by {spaces(indent_of(seen.line(above)) + 2)}",
        )
    found = _not_a_key(seen, line)
    if found is not None:
        return found
    return Diagnostic(
        CODE,
        f"YAML cannot read `{shortened(content)}` as a key",
        seen.start_of(line),
        hint="end a key with `: `, and put a value that holds `: ` or `#` in quotes",
    )


def _unclosed_bracket(seen: MarkedText, text: str) -> Diagnostic | None:
    """`source: [Talk to the client.` with no `]`, or `{more_than: 4` with no `}`."""
    match = re.match(r"expected ',' or '([\]}])', but got", seen.problem)
    if match is None or seen.context_at is None or seen.problem_at is None:
        return None
    closing = match.group(1)
    opening = "[" if closing == "]" else "{"
    if seen.problem_at[0] > seen.context_at[0]:
        return Diagnostic(
            CODE,
            f"the `{opening}` that starts here is not closed on its line",
            seen.at(*seen.context_at),
            hint=f"end the {'list' if closing == ']' else 'mapping'} with `{closing}`",
        )
    return Diagnostic(
        CODE,
        f"inside `{opening} {closing}`, entries are separated by `,`",
        seen.at(*seen.problem_at),
        hint="put an entry that holds `: `, `,` or a bracket in quotes",
    )


def _after_closing(seen: MarkedText, text: str) -> Diagnostic | None:
    """`reason: "because" the table says`, `minutes: {more_than: 4} extra`."""
    if not seen.problem.startswith("expected <block end>, but found '<scalar>'") or seen.problem_at is None:
        return None
    line, column = seen.problem_at
    before = seen.line(line)[:column].rstrip()
    if not before.strip() or before[-1] not in "\"']}":
        return None
    closing = before[-1]
    what = "quote" if closing in "\"'" else "bracket"
    return Diagnostic(
        CODE,
        f"text follows the closing {what} `{closing}`",
        seen.at(line, column),
        hint="put the whole value in one pair of quotes"
        if what == "quote"
        else "put the text inside the brackets, or remove it",
    )


def _stray_closing(seen: MarkedText, text: str) -> Diagnostic | None:
    """`source: [Talk to the client.]]`: a bracket that closes nothing."""
    match = re.match(r"expected (?:<block end>|the node content), but found '([\]}])'", seen.problem)
    if match is None or seen.problem_at is None:
        return None
    closing = match.group(1)
    return Diagnostic(
        CODE,
        f"this `{closing}` closes nothing",
        seen.at(*seen.problem_at),
        hint=f"remove it, or open what it closes with `{'[' if closing == ']' else '{'}`",
    )


def _dash_without_space(seen: MarkedText, text: str) -> Diagnostic | None:
    """`-id: drive`: a list item needs a space after its `-`."""
    if "expected <block end>" not in seen.problem or seen.problem_at is None:
        return None
    line = seen.problem_at[0]
    return _not_a_key(seen, line) if re.match(r"-[^\s-]", seen.line(line).strip()) else None


def _list_item_misplaced(seen: MarkedText, text: str) -> Diagnostic | None:
    """`- id: drive` indented otherwise than the items before it."""
    if seen.problem != "expected <block end>, but found '-'" or seen.problem_at is None:
        return None
    line = seen.problem_at[0]
    indent = indent_of(seen.line(line))
    items = [n for n in range(line - 1, -1, -1) if is_item(seen.line(n)) and indent_of(seen.line(n)) != indent]
    if not items:
        return Diagnostic(
            CODE,
            "a list item cannot start here",
            seen.start_of(line),
            hint="put the `-` under a key that ends with `:`, indented more than the key",
        )
    sibling = min(items, key=lambda n: (abs(indent_of(seen.line(n)) - indent), line - n))
    return Diagnostic(
        CODE,
        f"this list item is indented {spaces(indent)}, but the item {line_name(seen.line(sibling))} "
        f"on line {sibling + 1} is indented {spaces(indent_of(seen.line(sibling)))}",
        seen.start_of(line),
        hint=f"the items of one list start their `-` in the same column: indent it {spaces(indent_of(seen.line(sibling)))}",
    )


def _key_misplaced(seen: MarkedText, text: str) -> Diagnostic | None:
    """A key indented less than its neighbours, to a depth no key above has, or beside list items."""
    if not seen.problem.startswith("expected <block end>, but found") or seen.problem_at is None:
        return None
    line = seen.problem_at[0]
    if seen.problem_at[1] != indent_of(seen.line(line)):
        return None  # not the start of a line: another mistake
    indent, name = indent_of(seen.line(line)), line_name(seen.line(line))
    levels = open_levels(seen, line)
    above = seen.above(line)
    beside = next((level for level in levels if level.indent == indent and level.dash), None)
    if beside is not None and not is_item(seen.line(line)):
        keep = ""
        if above is not None and indent_of(seen.line(above)) > indent:
            keep = f"indent it like {line_name(seen.line(above))} on line {above + 1} ({spaces(indent_of(seen.line(above)))}) to keep it in that item, or "
        return Diagnostic(
            CODE,
            f"{name} lines up with the list item on line {beside.line + 1}, and a key cannot stand beside list items",
            seen.start_of(line),
            hint=f"{keep}write every entry at this level as a list item (`- `) or none of them",
        )
    if above is not None and indent > indent_of(seen.line(above)) and not opens_block(seen.line(above)):
        # Deeper than the key above, which holds its value already: one of the two is off.
        return Diagnostic(
            CODE,
            f"{name} is indented {spaces(indent)}, more than {line_name(seen.line(above))} on line {above + 1} "
            f"({spaces(indent_of(seen.line(above)))}), and the keys of one mapping line up",
            seen.start_of(line),
            hint=f"give {line_name(seen.line(above))} and {name} the same indentation as the keys around them",
        )
    near = sorted(levels, key=lambda level: (abs(level.indent - indent), line - level.line))[:2]
    if not near:
        return None
    suggestions = " or ".join(
        f"{line_name(seen.line(level.line), level.inside)} on line {level.line + 1} ({spaces(level.indent)})"
        for level in sorted(near, key=lambda level: -level.indent)
    )
    return Diagnostic(
        CODE,
        f"{name} is indented {spaces(indent)}, which lines up with no key above it",
        seen.start_of(line),
        hint=f"line it up with {suggestions}",
    )


def _undefined_alias(seen: MarkedText, text: str) -> Diagnostic | None:
    """`reason: *because`: a `*` starts a reference to an anchor."""
    match = re.match(r"found undefined alias '(.+)'", seen.problem)
    if match is None or seen.problem_at is None:
        return None
    line, column = seen.problem_at
    return Diagnostic(
        CODE,
        f"`*{match.group(1)}` refers to `&{match.group(1)}`, which is nowhere above",
        seen.at(line, column),
        hint=f"a value that starts with `*` must be quoted: `{quoted_line(seen.line(line), column)}`",
    )


def _alias_or_anchor(seen: MarkedText, text: str) -> Diagnostic | None:
    """`source: *[...]`, `reason: &x`: a `*` or `&` starts a reference or an anchor."""
    if not re.match(r"while scanning an? (alias|anchor)", seen.context) or seen.context_at is None:
        return None
    line, column = seen.context_at
    mark = seen.line(line)[column : column + 1] or "*"
    return Diagnostic(
        CODE,
        f"a value cannot start with `{mark}`",
        seen.at(line, column),
        hint=f"put the value in quotes: `{quoted_line(seen.line(line), column)}`",
    )


def _first_column(seen: MarkedText, text: str) -> Diagnostic | None:
    """The file's first key indented, and a later one not: the top level has two columns."""
    if not seen.problem.startswith("expected '<document start>'") or seen.problem_at is None:
        return None
    line = seen.problem_at[0]
    first = next((n for n in range(len(seen.lines)) if has_content(seen.line(n))), 0)
    return Diagnostic(
        CODE,
        f"{line_name(seen.line(line))} is indented {spaces(indent_of(seen.line(line)))}, but the first key of the file, "
        f"{line_name(seen.line(first))} on line {first + 1}, is indented {spaces(indent_of(seen.line(first)))}",
        seen.start_of(line),
        hint="start the keys at the top of the file in the first column",
    )


def _second_part(seen: MarkedText, text: str) -> Diagnostic | None:
    """A `---` line that starts a second YAML document in one file."""
    if seen.problem != "but found another document" or seen.problem_at is None:
        return None
    return Diagnostic(
        CODE,
        "this `---` line starts a second part of the file, and a file holds one",
        seen.at(*seen.problem_at),
        hint="remove the `---` line; put what follows in a file of its own",
    )


def _question_mark(seen: MarkedText, text: str) -> Diagnostic | None:
    """`reason: ? because`: `? ` starts a key."""
    if seen.problem != "mapping keys are not allowed here" or seen.problem_at is None:
        return None
    line, column = seen.problem_at
    return Diagnostic(
        CODE,
        "a value cannot start with `? `",
        seen.at(line, column),
        hint=f"put the value in quotes: `{quoted_line(seen.line(line), column)}`",
    )


_EXPLANATIONS: tuple[Callable[[MarkedText, str], Diagnostic | None], ...] = (
    _unclosed_quote,
    _unknown_escape,
    _cannot_start,
    _colon_in_value,
    _indented_more,
    _missing_colon,
    _unclosed_bracket,
    _after_closing,
    _stray_closing,
    _dash_without_space,
    _list_item_misplaced,
    _key_misplaced,
    _undefined_alias,
    _alias_or_anchor,
    _first_column,
    _second_part,
    _question_mark,
)

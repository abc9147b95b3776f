"""Read YAML strictly, keeping where every value came from.

In: the bytes of a file and its name.
Out: `Located(data, locations, key_locations)`: plain Python data (dicts, lists,
str, int, float, bool, None) and maps from a path (a tuple of keys and list
indexes) to the `Location` of the value at that path and of its key.

Strict means: duplicate keys are an error; only `true` and `false` are booleans
(`yes`, `no`, `on`, `off` stay strings, as does every quoted scalar); no merge
keys; no tags; aliases are expanded only up to a bound; the file must be UTF-8,
not empty and not enormous. Every problem raises `Problems` with a location; a tab
where YAML allows none (`yaml.tab`) is reported at the tab, every such tab at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from billability.model.diagnostics import Diagnostic, Location, Problems
from billability.model.resources import real_path, shown_path
from billability.policy.syntax import syntax_problem

MAX_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64

PathKey = tuple[str | int, ...]

_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\Z")
_NULL = {"null", "~", ""}
_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


@dataclass(frozen=True, slots=True)
class Located:
    """YAML data with the location of every value and every mapping key."""

    data: Any
    locations: dict[PathKey, Location] = field(default_factory=dict)
    key_locations: dict[PathKey, Location] = field(default_factory=dict)
    file: str = ""

    def where(self, path: PathKey) -> Location:
        """The location of the value at `path`, or of its nearest located parent."""
        while path not in self.locations and path:
            path = path[:-1]
        return self.locations.get(path, Location(self.file))

    def where_key(self, path: PathKey) -> Location:
        """The location of the key that introduces `path` (falls back to the value)."""
        return self.key_locations.get(path) or self.where(path)


class _PlainLoader(yaml.SafeLoader):
    """A loader that resolves no implicit types: every scalar is composed as a string
    node, so typing plain scalars is ours to decide (YAML 1.1 would make `no` false)."""


_PlainLoader.yaml_implicit_resolvers = {}


def _mark(file: str, mark: Any) -> Location:
    if mark is None:
        return Location(file)
    return Location(file, mark.line + 1, mark.column + 1)


def read_yaml_file(path: Path, display: str | None = None) -> Located:
    """Read a YAML file from disk; `display` is the name diagnostics use."""
    name = display or display_name(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise Problems([Diagnostic("file.unreadable", f"cannot read the file: {reason}", Location(name))]) from None
    return read_yaml(raw, name)


def read_yaml(raw: bytes | str, file: str) -> Located:
    """Parse one YAML document strictly into located plain data."""
    text = _decode(raw, file)
    if not text.strip() or all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        raise Problems(
            [
                Diagnostic(
                    "file.empty",
                    "the file is empty",
                    Location(file, 1, 1),
                    hint="a policy or corpus file holds a YAML mapping",
                )
            ]
        )
    try:
        node = yaml.compose(text, Loader=_PlainLoader)
    except RecursionError:
        raise Problems([_too_deep(Location(file))]) from None
    except yaml.MarkedYAMLError as error:
        tabs = _tabs(text, file, error)
        if tabs:
            raise Problems(tabs) from None
        raise Problems([syntax_problem(text, file, error)]) from None
    except yaml.reader.ReaderError as error:
        # The reader rejects control characters with a position but no mark.
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        raise Problems(
            [
                Diagnostic(
                    "yaml.syntax",
                    f"the control character U+{error.character:04X} is not allowed in YAML"
                    if isinstance(error.character, int)
                    else "a character here is not allowed in YAML",
                    Location(file, line, column),
                    hint="delete it, or write it as an escape in a double-quoted string",
                )
            ]
        ) from None
    except yaml.YAMLError:  # pragma: no cover - PyYAML marks its other errors
        raise Problems(
            [Diagnostic("yaml.syntax", "YAML cannot read the file", Location(file), hint="check its indentation")]
        ) from None
    if node is None:  # only comments and blank lines, caught above; kept for the type checker
        raise Problems([Diagnostic("file.empty", "the file is empty", Location(file, 1, 1))])
    builder = _Builder(file)
    data = builder.build(node, ())
    if builder.problems:
        raise Problems(builder.problems)
    return Located(data, builder.locations, builder.key_locations, file)


MAX_TABS = 50


def _tab_at(text: str, mark: Any) -> tuple[int, int] | None:
    """The line and column (from 0) of the tab the mark points at, if it points at one."""
    if mark is None:
        return None
    lines = text.split("\n")
    if mark.line >= len(lines) or lines[mark.line][mark.column : mark.column + 1] != "\t":
        return None
    return mark.line, mark.column


def _tabs(text: str, file: str, error: yaml.MarkedYAMLError) -> list[Diagnostic]:
    """Every tab that stops the scanner, each located, or nothing when the error is no tab's.

    PyYAML stops at the first tab it cannot read; the tab is put aside (replaced by a
    space, which keeps every column) and the text read again, to find the next one.
    Once a replaced tab changes the indentation so that the text no longer reads, the
    other lines indented with a tab are reported as they are."""
    lines = text.split("\n")
    place = _tab_at(text, error.problem_mark)
    if place is None:
        return []
    found: dict[tuple[int, int], Diagnostic] = {}
    while place is not None and len(found) < MAX_TABS:
        line, column = place
        found[place] = _tab(file, line, column, indenting=not lines[line][:column].strip())
        lines[line] = lines[line][:column] + " " + lines[line][column + 1 :]
        try:
            yaml.compose("\n".join(lines), Loader=_PlainLoader)
        except yaml.MarkedYAMLError as again:
            place = _tab_at("\n".join(lines), again.problem_mark)
        except (yaml.YAMLError, RecursionError):  # pragma: no cover - PyYAML marks its errors
            place = None
        else:
            return list(found.values())
    for line, content in enumerate(lines):
        indentation = content[: len(content) - len(content.lstrip(" \t"))]
        if "\t" in indentation and len(found) < MAX_TABS:
            column = indentation.index("\t")
            found.setdefault((line, column), _tab(file, line, column, indenting=True))
    return sorted(found.values(), key=Diagnostic.sort_key)


def _tab(file: str, line: int, column: int, indenting: bool) -> Diagnostic:
    if indenting:
        return Diagnostic(
            "yaml.tab",
            "a tab indents this line",
            Location(file, line + 1, column + 1),
            hint="indent with spaces, not tabs",
        )
    return Diagnostic(
        "yaml.tab",
        "a tab is not allowed here",
        Location(file, line + 1, column + 1),
        hint="use spaces, not tabs; a tab can stand only inside quoted text",
    )


def _decode(raw: bytes | str, file: str) -> str:
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > MAX_BYTES:
        raise Problems(
            [
                Diagnostic(
                    "file.too-large",
                    f"the file is {len(raw):,} bytes; the limit is {MAX_BYTES:,}",
                    Location(file),
                    hint="split the policy into several files in one folder",
                )
            ]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        raise Problems(
            [
                Diagnostic(
                    "file.encoding",
                    f"the file is not UTF-8 text (byte 0x{raw[error.start]:02x})",
                    Location(file, line, column),
                    hint="save the file as UTF-8",
                )
            ]
        ) from None
    return text.removeprefix("\ufeff")


def _too_deep(where: Location) -> Diagnostic:
    return Diagnostic(
        "yaml.too-deep",
        f"the document nests more than {MAX_DEPTH} levels deep",
        where,
        hint="an alias (`*name`) inside the value it names repeats forever; write the value out",
    )


class _Builder:
    """Turns a composed node tree into plain data, collecting every problem."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.locations: dict[PathKey, Location] = {}
        self.key_locations: dict[PathKey, Location] = {}
        self.problems: list[Diagnostic] = []
        self.nodes = 0
        self.open: list[yaml.Node] = []

    def problem(self, code: str, message: str, node: yaml.Node, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(code, message, _mark(self.file, node.start_mark), hint))

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            if self.nodes == MAX_NODES + 1:
                self.problem(
                    "yaml.too-many-nodes",
                    f"the document expands to more than {MAX_NODES:,} values",
                    node,
                    hint="aliases (`*name`) that repeat large parts multiply the size; write values out",
                )
            return None
        self.locations.setdefault(path, _mark(self.file, node.start_mark))
        if node.tag not in _STANDARD_TAGS:
            self.problem(
                "yaml.tag",
                f"tags such as `{node.tag}` are not allowed",
                node,
                hint="remove the `!` tag; write the value plainly",
            )
            return None
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if len(self.open) >= MAX_DEPTH or any(node is parent for parent in self.open):
            self.problems.append(_too_deep(_mark(self.file, node.start_mark)))
            return None
        self.open.append(node)
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        finally:
            self.open.pop()

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or (
                isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<" and key_node.style is None
            ):
                self.problem(
                    "yaml.merge-key", "merge keys (`<<`) are not allowed", key_node, hint="write the keys out in full"
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem("yaml.key", "a key must be plain text, not a list or mapping", key_node)
                continue
            key = key_node.value
            if key in result:
                first = self.key_locations[(*path, key)]
                self.problem(
                    "yaml.duplicate-key",
                    f"the key `{key}` appears twice in the same mapping (first at line {first.line})",
                    key_node,
                    hint="keep one of them; YAML would silently use the last",
                )
                continue
            self.key_locations[(*path, key)] = _mark(self.file, key_node.start_mark)
            result[key] = self.build(value_node, (*path, key))
        return result

    @staticmethod
    def _scalar(node: yaml.ScalarNode) -> Any:
        text = node.value
        if node.style is not None:  # quoted or block scalars are always text
            return text
        if text == "true":
            return True
        if text == "false":
            return False
        if text in _NULL:
            return None
        if _INT.match(text):
            return int(text)
        if _FLOAT.match(text):
            return float(text)
        return text


# The folder, at the top of a policy or corpus folder, that holds its released versions
# (`billability release`); a folder's own files never include them.
RELEASES = "releases"


def iter_yaml_files(path: Path) -> Iterator[Path]:
    """The YAML files at `path`: the file itself, or every `*.yaml`/`*.yml` below a
    folder, sorted, leaving out the released versions in its top-level `releases/`."""
    if path.is_dir():
        yield from sorted(
            p
            for p in path.rglob("*")
            if p.suffix in {".yaml", ".yml"} and p.is_file() and p.relative_to(path).parts[0] != RELEASES
        )
    else:
        yield path


def display_name(path: Path) -> str:
    """A file's name as diagnostics show it: relative to the working folder (see `resources.shown_path`)."""
    return shown_path(path)


def policy_section(files: Iterable[str], read: Callable[[str], Located | None] | None = None) -> Located | None:
    """The file among `files` (names as messages show them) that holds the `policy:`
    section, read again to locate keys a compiled policy does not keep; `read` may be a
    caching reader that returns None for a file it cannot read."""
    for file in files:
        located = read(file) if read is not None else reread(file)
        if located is not None and isinstance(located.data, dict) and "policy" in located.data:
            return located
    return None


def reread(file: str) -> Located | None:
    """A file a compiled policy names (as messages show it), read again; None when it cannot be."""
    try:
        return read_yaml_file(real_path(file), file)
    except Problems:
        return None

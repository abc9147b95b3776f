"""The package's layout: stages import one way, no module imports itself back through
another, and each module stays small enough to read whole.

In: the source files under src/billability/, read as Python syntax trees (nothing is
imported).
Out: the stages' order holds (a stage imports only itself and the stages below it),
every import of a billability module is at a module's top level and none is hidden
behind `TYPE_CHECKING`, the modules' imports form no circle, each package's docstring
names each of its modules, and no module passes `MAX_LINES` unless `ONE_IDEA` says why.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "billability"
# Bottom to top: a stage may import itself and the stages before it, never one after.
STAGES = ("model", "decide", "policy", "checks", "history", "audit", "site", "cli")
# The two entry points outside the stages: the public API and the pytest plugin.
TOP = ("__init__", "pytest_plugin")
MAX_LINES = 400
# Modules over MAX_LINES, each one idea that reads best whole: why.
ONE_IDEA: dict[str, str] = {
    "billability.policy.syntax": "the YAML mistakes are one list tried in order, most telling first: the order is the logic",
}


@dataclass(frozen=True)
class Imported:
    module: str  # dotted, as imported: billability.decide.diagram
    line: int
    top_level: bool
    type_checking: bool


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(path, package): path for path in sorted(package.rglob("*.py"))}


def stage_of(module: str) -> str:
    """`billability.decide.diagram` -> `decide`; the top-level modules are their own."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports_of(path: Path, known: dict[str, Path]) -> list[Imported]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[Imported] = []

    def visit(node: ast.AST, top_level: bool, type_checking: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                for name in _targets(child, known):
                    found.append(Imported(name, child.lineno, top_level, type_checking))
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                visit(child, top_level, True)
            else:
                inner = top_level and not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                visit(child, inner, type_checking)

    visit(tree, True, False)
    return found


def _targets(node: ast.Import | ast.ImportFrom, known: dict[str, Path]) -> list[str]:
    """The billability modules an import statement loads: `from billability.audit import
    run` loads `billability.audit.run`, `from billability.audit import audit_file` loads
    the package `billability.audit`."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == "billability"]
    if node.level or not node.module or node.module.split(".")[0] != "billability":
        return []
    loaded = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module for a in node.names]
    return list(dict.fromkeys(loaded))


def graph(package: Path = PACKAGE) -> dict[str, list[Imported]]:
    known = modules(package)
    return {name: imports_of(path, known) for name, path in known.items()}


def rank(module: str) -> int:
    stage = stage_of(module)
    return len(STAGES) if stage in TOP else STAGES.index(stage)


def layering_problems(edges: dict[str, list[Imported]]) -> list[str]:
    problems = []
    for name, imported in edges.items():
        if stage_of(name) not in TOP and stage_of(name) not in STAGES:
            problems.append(f"{name}: in no stage of {STAGES}")
            continue
        for item in imported:
            where = f"{name} line {item.line}: imports {item.module}"
            if stage_of(item.module) not in TOP and stage_of(item.module) not in STAGES:
                continue  # said once, of the module itself
            if rank(item.module) > rank(name):
                problems.append(f"{where}, a stage above its own")
            if not item.top_level:
                problems.append(f"{where} inside a function or class")
            if item.type_checking:
                problems.append(f"{where} behind TYPE_CHECKING")
    return problems


def circles(edges: dict[str, list[Imported]]) -> list[list[str]]:
    """Every circle of imports, each once, by depth-first search from each module."""
    found: list[list[str]] = []
    following = {name: sorted({i.module for i in imported if i.module != name}) for name, imported in edges.items()}

    def walk(path: list[str]) -> None:
        for target in following.get(path[-1], []):
            if target == path[0]:  # from its smallest module, each circle is walked once
                found.append([*path, target])
            elif target not in path and target > path[0]:
                walk([*path, target])

    for start in sorted(following):
        walk([start])
    return found


def test_every_module_is_in_a_stage_and_imports_only_below_at_its_top() -> None:
    assert layering_problems(graph()) == []


def test_no_module_imports_itself_back_through_others() -> None:
    assert circles(graph()) == []


def test_each_package_docstring_names_each_of_its_modules() -> None:
    missing = []
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert docstring, f"{init.parent.name}/ has no docstring"
        for module in sorted(init.parent.glob("*.py")):
            if module.stem != "__init__" and not re.search(rf"`{module.stem}\b", docstring):
                missing.append(f"{init.parent.name}/{module.name}")
    assert missing == []


def test_no_module_passes_the_length_a_reader_takes_in_whole() -> None:
    long = {
        module_name(path): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert {name: lines for name, lines in long.items() if name not in ONE_IDEA} == {}
    assert set(ONE_IDEA) <= set(long), "a module named in ONE_IDEA is short now: take it off the list"


# --- the checks themselves catch what they are for, on a package made to break them ------


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "billability" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "billability"


def test_an_import_upward_inside_a_function_or_behind_type_checking_is_found(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "__init__.py": '"""."""\n',
            "model/__init__.py": '"""`data`."""\n',
            "model/data.py": "def f():\n    from billability.decide import engine\n",
            "decide/__init__.py": '"""`engine`."""\n',
            "decide/engine.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from billability.model import data\nfrom billability.cli import main\n",
            "cli/__init__.py": '"""."""\n',
            "utils.py": "",
            "stray/__init__.py": "",
            "stray/a.py": "import billability.utils\nfrom billability.model import data\n",
        },
    )
    problems = layering_problems(graph(package))
    assert problems == [
        "billability.decide.engine line 3: imports billability.model.data behind TYPE_CHECKING",
        "billability.decide.engine line 4: imports billability.cli, a stage above its own",
        "billability.model.data line 2: imports billability.decide.engine, a stage above its own",
        "billability.model.data line 2: imports billability.decide.engine inside a function or class",
        "billability.stray: in no stage of " + str(STAGES),
        "billability.stray.a: in no stage of " + str(STAGES),
        "billability.utils: in no stage of " + str(STAGES),
    ]


@pytest.mark.parametrize("through", [[], ["b"], ["b", "c"]])
def test_a_circle_is_found_however_long(tmp_path: Path, through: list[str]) -> None:
    names = ["a", *through]
    files = {"__init__.py": '"""."""\n', "model/__init__.py": '"""."""\n'}
    for here, there in zip(names, [*names[1:], "a"], strict=True):
        files[f"model/{here}.py"] = f"from billability.model import {there}\n"
    if not through:
        files["model/a.py"] = "import billability.model.a\nfrom billability.model.z import x\n"
        files["model/z.py"] = "from billability.model.a import y\n"
    edges = graph(_write(tmp_path, files))
    expected = [f"billability.model.{n}" for n in (names if through else ["a", "z"])]
    assert circles(edges) == [[*expected, expected[0]]]

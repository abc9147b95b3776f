"""A policy file as read, with the parts of it the schema check found wrong.

In: a `Located` file (its data and the place of every part) and the paths of its
schema violations.
Out: a `CheckedFile`, which tells the compiler whether a part may be trusted
(`holds`, `sound`), gives the sections whose shape is right (`section`,
`declarations`) and where a part is written (`where`, `where_key`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from billability.model.diagnostics import Location
from billability.policy.source import Located, PathKey


@dataclass(frozen=True, slots=True)
class CheckedFile:
    """A policy file as read, and the parts of it the schema check found wrong."""

    located: Located
    flaws: frozenset[PathKey] = frozenset()
    bad_names: frozenset[PathKey] = frozenset()

    def holds(self, path: PathKey) -> bool:
        """No schema error is about this part or a part that holds it (parts inside it may have some)."""
        return not any(path[: len(flaw)] == flaw for flaw in self.flaws)

    def sound(self, path: PathKey) -> bool:
        """No schema error is about this part, a part that holds it, or a part inside it."""
        return self.holds(path) and not any(flaw[: len(path)] == path for flaw in self.flaws)

    def section(self, name: str) -> Any:
        """The file's `name:` section, when the schema found its shape right (else None)."""
        data = self.located.data
        if not isinstance(data, dict) or not self.holds((name,)):
            return None
        return data.get(name)

    def declarations(self, name: str) -> tuple[dict[str, Any], bool]:
        """The names the file's `name:` section (`facts`, `topics`) declares, and whether
        those are all it may declare: not when the file or the section has the wrong shape."""
        section = self.section(name)
        if isinstance(section, dict):
            return section, True
        data = self.located.data
        return {}, isinstance(data, dict) and self.holds(()) and name not in data

    def where(self, path: PathKey) -> Location:
        return self.located.where(path)

    def where_key(self, path: PathKey) -> Location:
        return self.located.where_key(path)

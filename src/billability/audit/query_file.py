"""The policy as one SQL query over a table of records, checked and written as `billability sql` does.

In: a compiled `Policy`, the database's dialect, the table's name, maybe a mapping file
of the table's columns and codes, and maybe the file to write the query to.
With a service date in the mapping, the query decides each record by the version of the
policy in force on its date, every version of the policy's folder in one query.
Out: a `CheckedQuery`: the query's text once the dialect, the table's name, the mapping
and the output's place check out, else every problem, each located at the option that
named it (an output over the mapping or a policy file is refused), in the order of the
options; `write_query` writes the text whole, under a hidden name moved into place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from billability.audit.mapping import Mapping, load_mapping
from billability.audit.results import check_places, write_aside
from billability.audit.sql import check_dialect, policy_sql, table_of
from billability.model.diagnostics import Diagnostic, Location, Problems
from billability.model.resources import real_path
from billability.policy.compiled import Policy
from billability.policy.versions import load_versions


@dataclass(frozen=True, slots=True)
class CheckedQuery:
    """The query's text, ending with a newline; or, the text empty, the problems that stop
    it, in the order of the options they concern (`--dialect`, `--table`, `--map`, `--output`)."""

    text: str
    problems: tuple[Diagnostic, ...] = ()


def checked_query(
    policy: Policy,
    table: str,
    dialect: str,
    mapping_path: str | None = None,
    output: str | None = None,
    folder: Path | None = None,
) -> CheckedQuery:
    """The query deciding every record of `table` (see the module docstring); with a
    service date in the mapping, by every version of the policy `folder` holds, each
    for the records of its days (`policy` standing for the current one)."""
    versions: tuple[Policy, ...] = ()
    problems: list[Diagnostic] = []
    try:
        check_dialect(dialect)
    except Problems as error:
        problems += [
            Diagnostic(d.code, d.message, Location(f"option --dialect `{dialect}`"), d.hint) for d in error.diagnostics
        ]
    try:
        table_of(table)
    except ValueError as error:
        problems.append(
            Diagnostic(
                "sql.table",
                f"`{table}` is not a table name: {error}",
                Location(f"option --table `{table}`"),
                hint="name the table, qualified as `schema.table` where needed; quote nothing",
            )
        )
    mapping: Mapping | None = None
    inputs = [(f"the policy file `{f}`", real_path(f)) for f in (*policy.files, policy.source_file) if f]
    if mapping_path is not None:
        inputs.append(("the mapping", Path(mapping_path)))
        try:
            mapping = load_mapping(Path(mapping_path), policy, None)
            if mapping.service_date is not None and folder is not None:
                versions = (*load_versions(folder).versions[:-1], policy)
                mapping = load_mapping(Path(mapping_path), policy, None, versions[:-1])
        except Problems as error:
            problems += error.diagnostics
    if output is not None:
        problems += check_places([("--output", "the query", output)], inputs)
    if problems:
        return CheckedQuery("", tuple(problems))
    return CheckedQuery(policy_sql(policy, table, dialect, mapping=mapping, versions=versions) + "\n")


def write_query(target: Path, text: str) -> None:
    """Write the query to `target` whole or not at all; raises `Problems` when it cannot."""
    try:
        write_aside(target, text)
    except OSError as error:
        raise Problems(
            [Diagnostic("file.unwritable", f"cannot write the report: {error.strerror}", Location(str(target)))]
        ) from None

"""The audit's inputs for its tests: its engines, the clinic fixture's small export and its
mapping, an export as an EHR writes it, the repository's example export, and
`billability audit` run on them as a person runs it.

In: the clinic fixture's policy (tests/fixtures/clinic) and the checkout's docs/audit/.
Out: texts to write to a temporary folder, and the command's exit status, standard output
and standard error.
"""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from billability.cli import main
from policy_texts import CHECKOUT, CLINIC

# The audit's engines, each asked for by name (`--engine`).
ENGINES = ["duckdb", "python"]

# The repository's example export, its mapping and the Spark script that audits it.
EXAMPLE = CHECKOUT / "docs" / "audit"

CLINIC_POLICY = str(CLINIC / "policy")

MAPPING = """\
policy: clinic
facts:
  provider_credential:
    column: staff_credential
    codes:
      LCSW: counselor
      SUD Counselor II: counselor
      Peer Support: peer
  activity:
    column: service_type
    codes:
      Benefits: benefits
      Handoff: handoff
      Transport: driving
      Provider call: provider_call
      Other: other
  contact_mode:
    column: contact_method
    codes: {Telephone: phone, Voicemail: voicemail, Email: email, Video: video, N/A: ~}
  documented:
    column: note
    codes: {"Y": true, "N": false}
  days_since_discharge:
    column: days
summary:
  minutes: minutes
  staff: staff_name
  program: program
"""

EXPORT = """\
service_id,staff_name,staff_credential,program,service_type,contact_method,note,days,minutes
S1,Staff 01,LCSW,OP,Benefits,,,,30
S2,Staff 02,Peer Support,OP,Benefits,,,,15
S3,Staff 01,LCSW,IOP,Provider call,Video,,,20
S4,Staff 01,SUD Counselor II,IOP,Handoff,,,,10
S5,Staff 03,RN,OP,Benefits,,,,5
S6,Staff 01,LCSW,OP,Handoff,,Y,-3,10
S7,Staff 01,LCSW,OP,Handoff,,maybe,3,10
S8,Staff 02,LCSW,OP,Transport,,,,abc
S9,,,OP,,,,,
S10,Staff 01,LCSW,IOP,Provider call,Telephone,,,025
S11,Staff 01, LCSW ,IOP,Handoff,N/A,Y,3,45
"""
# An export as an EHR writes it (byte order mark, CRLF, padded codes), whose unreadable
# cells sometimes bear on the answer and sometimes do not.
WARNED_EXPORT = "\ufeff" + "\r\n".join(
    [
        EXPORT.splitlines()[0],
        "W1,Staff 01,LCSW,OP,Benefits,,,-3,30",  # days do not bear on benefits
        "W2,Staff 01,LCSW,OP,Transport,,maybe,,15",  # driving is never billable
        "W3,Staff 01,LCSW,OP,Handoff,,Y,-3,10",  # a hand-off's days decide it
        "W4,Staff 01, LCSW ,OP,Handoff,,N,-5,10",  # undocumented: not billable, whatever the days
        "W5,Staff 01,LCSW,OP,Provider call,Fax,,,10",  # the contact decides a provider call
        "W6,Staff 01,RN,OP,Transport,,,,10",  # not billable, whoever drove
        "W7,Staff 01,LCSW,OP,Handoff,,,-3,10",  # undetermined, and the days are among the missing
        "W8,,,OP,Benefits,Pager,,,",  # undetermined, but the contact is not what it waits for
        "W9,Staff 01,LCSW,OP,Provider call,Fax,maybe,,10",  # one cell decides, the other does not
        'W10,Staff 01,LCSW,OP,Benefits,"Fax, ""urgent""",,,5',  # a comma and quotes in the cell
        "",
    ]
)


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def audit(records: Path, mapping: Path | None, *options: str | Path) -> tuple[int, str, str]:
    chosen = ["--map", str(mapping)] if mapping is not None else []
    return run("audit", records, *chosen, "--policy", CLINIC_POLICY, *options)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))

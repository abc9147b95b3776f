"""Changes a policy maintainer makes in a pull request, each made whole in a scratch copy of
the repository: the policy edited and the corpus brought in line, so that in the copy
`billability validate`, `test`, `lint` (no errors), `coverage` (100%) and `mutate` (no
survivor) all pass, as they must before the pull request is merged.

In: the root of a copy of the repository (`copy_repository` makes one; its policy/ and
corpus/ are edited in place).
Out: a `Change` saying what was done.

- `advocacy_by_email_needs_review`: advocating for a client by email goes from not
  billable to needs review; the version is raised.
- `late_handoff_needs_review`: a warm hand-off 31 to 45 days after discharge goes from not
  billable to needs review (a new rule bounded on both sides); the version is raised.
- `activity_under_a_new_topic`: a new activity with its billable rule and a corpus case,
  placed under a new topic; the version is raised.
- `equivalent_rewrite`: the version raised and a comparison written another way that means
  the same (`more_than: 30` as `at_least: 31`); the corpus is unchanged.

The first two are edits of the policy as it is written today: they look for its text, and
raise `MissingAnchor` (saying which) when that text is gone. The last two adapt to
whatever the policy holds (names it does not use yet, the first comparison it makes), so
the suite makes them in copies whatever the bundled policy decides
(tests/checks/test_maintainer_changes.py).

As a script, it makes one change in a new copy, for a person to look at or run CI's
steps in: `python tests/maintainer_changes.py CHANGE FOLDER` (FOLDER must not exist).
"""

from __future__ import annotations

import datetime
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from billability.checks.corpus import load_cases, run_cases
from billability.model.policy import Is, Outcome
from billability.policy.compile import load_policy
from billability.policy.source import iter_yaml_files

# The checkout the changes are made in copies of.
CHECKOUT = Path(__file__).resolve().parent.parent
# Left out when the checkout is copied without git.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", ".ci-venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis",
    "site", "build", "dist", "*.egg-info",
)  # fmt: skip


class MissingAnchor(AssertionError):
    """The text an edit looks for is not in the policy any more: the edit must be rewritten."""


@dataclass(frozen=True, slots=True)
class Change:
    """A change made in a copy: its name and what it did, in a line."""

    name: str
    summary: str


# --- copying the repository ------------------------------------------------------------------


def git(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """git run in `root` as a fixed author; exit status 127 where there is no git."""
    command = ["git", "-c", "user.name=scratch", "-c", "user.email=scratch@example.org", *arguments]
    try:
        return subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    except OSError as error:
        return subprocess.CompletedProcess(command, 127, "", str(error))


def copy_repository(target: Path, checkout: Path = CHECKOUT) -> Path:
    """The checkout's files (tracked and untracked but not ignored, as they are on disk) in
    `target`, committed to a fresh git repository there, so that an edit is a change in the
    working tree, as it is for a maintainer."""
    listed = git(checkout, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if listed.returncode == 0:
        for name in filter(None, listed.stdout.split("\0")):
            source = checkout / name
            if source.is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)
    else:  # no git here, or not a git checkout: copy the files without it
        shutil.copytree(checkout, target, ignore=NOT_COPIED, dirs_exist_ok=True)
    if git(target, "init", "-q").returncode == 0:
        git(target, "add", "-A")
        git(target, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "the repository before the change")
    return target


def read(root: Path, name: str) -> str:
    """The text of the copy's file `name`, or `MissingAnchor` when it is gone."""
    path = root / name
    if not path.is_file():
        raise MissingAnchor(f"{name} is not in the repository any more: rewrite this edit")
    return path.read_text(encoding="utf-8")


def replace(root: Path, name: str, old: str, new: str) -> None:
    """`old` replaced once by `new` in the copy's file `name`; `MissingAnchor` when `old` is not there."""
    text = read(root, name)
    if old not in text:
        first = old.strip().splitlines()[0] if old.strip() else old
        raise MissingAnchor(f"`{first}` is not in {name} any more: rewrite this edit")
    (root / name).write_text(text.replace(old, new, 1), encoding="utf-8")


# --- the version ------------------------------------------------------------------------------

POLICY_FILE = "policy/policy.yaml"
VERSION = re.compile(r'^(?P<key>  version: )"(?P<version>[^"]+)"$', flags=re.M)
EFFECTIVE_FROM = re.compile(r'^(?P<key>  effective_from: )"(?P<date>\d{4}-\d{2}-\d{2})"$', flags=re.M)


def raise_the_version(root: Path) -> str:
    """The policy's version raised (its last number plus one: 1.0 -> 1.1) and its
    `effective_from` moved to the first day of the next month; the two as `old -> new`."""
    text = read(root, POLICY_FILE)
    version, effective = VERSION.search(text), EFFECTIVE_FROM.search(text)
    if version is None or effective is None:
        raise MissingAnchor(f'{POLICY_FILE} states no `version: "..."` or `effective_from: "YYYY-MM-DD"`')
    numbers = version["version"].split(".")
    if not numbers[-1].isdigit():
        raise MissingAnchor(f"the version `{version['version']}` does not end with a number")
    raised = ".".join([*numbers[:-1], str(int(numbers[-1]) + 1)])
    day = datetime.date.fromisoformat(effective["date"])
    later = (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1).isoformat()
    text = VERSION.sub(lambda found: f'{found["key"]}"{raised}"', text, count=1)
    text = EFFECTIVE_FROM.sub(lambda found: f'{found["key"]}"{later}"', text, count=1)
    (root / POLICY_FILE).write_text(text, encoding="utf-8")
    return f"version {version['version']} -> {raised}, effective from {effective['date']} -> {later}"


# --- advocacy by email needs review ---------------------------------------------------------

COMMUNICATION = "policy/rules/communication.yaml"
ADVOCACY_BY_EMAIL = """\
  - id: advocacy-by-email
    title: Advocating by email
    topic: communication
    outcome: needs_review
    when:
      activity: advocacy
      contact_mode: email
    reason: the table lists advocating with providers and partners as billable but email to providers as not billable, so advocating by email needs review before it is billed
    source:
      - "Advocate for clients with health/social service providers, County and community partners, and others in the best interests of clients."
      - "communicating via email to health and mental health providers"

"""


def advocacy_by_email_needs_review(root: Path) -> Change:
    """Advocacy by email leaves the not-billable email rule for a needs-review rule of its
    own; the corpus's cases of advocacy by email follow, and a case of advocacy by written
    report (still not billable) keeps the two apart."""
    replace(
        root,
        COMMUNICATION,
        "      activity: [provider_communication, service_follow_up, advocacy]\n"
        "      contact_mode: [email, written_report]\n",
        "      activity: [provider_communication, service_follow_up, advocacy]\n"
        "      contact_mode: [email, written_report]\n"
        "      not: {activity: advocacy, contact_mode: email}\n",
    )
    replace(
        root,
        COMMUNICATION,
        "  - id: communication-voicemail\n",
        ADVOCACY_BY_EMAIL + "  - id: communication-voicemail\n",
    )
    replace(
        root,
        "corpus/boundaries.yaml",
        "  - name: Advocating by email is not billable\n"
        "    staff_example: true\n"
        "    facts: {provider_credential: lpha, activity: advocacy, contact_mode: email, contact_successful: true}\n"
        "    expect: {outcome: not_billable, rules: [communication-email-or-written]}\n",
        "  - name: Advocating by email needs review\n"
        "    staff_example: true\n"
        "    facts: {provider_credential: lpha, activity: advocacy, contact_mode: email, contact_successful: true}\n"
        "    expect: {outcome: needs_review, rules: [advocacy-by-email]}\n"
        "\n"
        "  - name: Advocating by written report is not billable\n"
        "    facts: {provider_credential: certified_sud_counselor, activity: advocacy, contact_mode: written_report, contact_successful: true}\n"
        "    expect: {outcome: not_billable, rules: [communication-email-or-written]}\n",
    )
    # Email to a provider is still not billable before the contact is known to have succeeded.
    replace(
        root,
        "corpus/incomplete.yaml",
        "    facts: {provider_credential: lpha, activity: advocacy, contact_mode: email}\n",
        "    facts: {provider_credential: lpha, activity: provider_communication, contact_mode: email}\n",
    )
    versions = raise_the_version(root)
    return Change("advocacy-email", f"advocacy by email: not_billable -> needs_review; {versions}")


# --- a late hand-off needs review ------------------------------------------------------------

CONNECTION = "policy/rules/connection.yaml"
LATE_HANDOFF = """\

  - id: warm-handoff-tcs-late
    title: Transitional care 31 to 45 days after discharge
    topic: connection
    outcome: needs_review
    when:
      activity: warm_handoff
      after_discharge: true
      all:
        - days_since_discharge:
            more_than: 30
        - days_since_discharge:
            at_most: 45
    reason: transitional care services occur within 30 days of discharge, so a hand-off 31 to 45 days after discharge needs review before it is billed
    source:
      - "including TCS (Transitional Care Services) which occur within 30 days of discharge."
"""
HANDOFF = (
    "provider_credential: lpha, activity: warm_handoff, contact_mode: phone, contact_successful: true, "
    "medically_necessary: true, documented: true, after_discharge: true"
)


def late_handoff_needs_review(root: Path) -> Change:
    """The window rule moves to more than 45 days, and a new needs-review rule takes the
    hand-offs 31 to 45 days after discharge; the corpus's cases past 30 days follow, with
    new cases on each side of 45 days."""
    replace(
        root,
        CONNECTION,
        "    title: Transitional care more than 30 days after discharge\n",
        "    title: Transitional care more than 45 days after discharge\n",
    )
    replace(
        root,
        CONNECTION,
        "        more_than: 30\n"
        "    reason: after discharge, a hand-off counts as transitional care services only within 30 days of discharge\n"
        '    source:\n      - "including TCS (Transitional Care Services) which occur within 30 days of discharge."\n',
        "        more_than: 45\n"
        "    reason: after discharge, a hand-off counts as transitional care services only within 30 days of discharge,"
        " and more than 45 days after discharge it is not billable\n"
        '    source:\n      - "including TCS (Transitional Care Services) which occur within 30 days of discharge."\n'
        + LATE_HANDOFF,
    )
    boundaries = "corpus/boundaries.yaml"
    replace(
        root,
        boundaries,
        "  - name: A hand-off 31 days after discharge is not billable\n"
        "    staff_example: true\n"
        f"    facts: {{{HANDOFF}, days_since_discharge: 31}}\n"
        "    expect: {outcome: not_billable, rules: [warm-handoff-tcs-window]}\n",
        "  - name: A hand-off 31 days after discharge needs review\n"
        "    staff_example: true\n"
        f"    facts: {{{HANDOFF}, days_since_discharge: 31}}\n"
        "    expect: {outcome: needs_review, rules: [warm-handoff-tcs-late]}\n"
        "\n"
        "  - name: A hand-off 45 days after discharge still needs review\n"
        f"    facts: {{{HANDOFF}, days_since_discharge: 45}}\n"
        "    expect: {outcome: needs_review, rules: [warm-handoff-tcs-late]}\n"
        "\n"
        "  - name: A hand-off 46 days after discharge is not billable\n"
        "    staff_example: true\n"
        f"    facts: {{{HANDOFF}, days_since_discharge: 46}}\n"
        "    expect: {outcome: not_billable, rules: [warm-handoff-tcs-window]}\n",
    )
    # The days do not matter before discharge, or for another activity, within either rule's days.
    not_after = "Days since discharge do not matter for a hand-off that is not after discharge"
    replace(
        root,
        boundaries,
        "  - name: A hand-off that is not medically necessary is not billable\n",
        f"  - name: {not_after}, even past 45 days\n"
        "    facts: {provider_credential: registered_sud_counselor, activity: warm_handoff, contact_mode: phone, "
        "contact_successful: true, medically_necessary: true, documented: true, after_discharge: false, "
        "days_since_discharge: 60}\n"
        "    expect: {outcome: billable, rules: [warm-handoff]}\n"
        "\n"
        "  - name: Hand-off facts 40 days after discharge given for linking to resources change nothing\n"
        "    facts: {provider_credential: lpha, activity: resource_linkage, after_discharge: true, days_since_discharge: 40}\n"
        "    expect: {outcome: billable, rules: [resource-linkage]}\n"
        "\n"
        "  - name: A hand-off that is not medically necessary is not billable\n",
    )
    # Late enough that the window is still one of the reasons.
    replace(
        root,
        boundaries,
        "medically_necessary: false, documented: false, after_discharge: true, days_since_discharge: 40}",
        "medically_necessary: false, documented: false, after_discharge: true, days_since_discharge: 50}",
    )
    replace(
        root,
        "corpus/contacts-on-the-clients-behalf.yaml",
        "contact_mode: video, contact_successful: true, medically_necessary: true, documented: true, "
        "after_discharge: true, days_since_discharge: 31}",
        "contact_mode: video, contact_successful: true, medically_necessary: true, documented: true, "
        "after_discharge: true, days_since_discharge: 46}",
    )
    versions = raise_the_version(root)
    return Change(
        "late-handoff", f"warm hand-off 31 to 45 days after discharge: not_billable -> needs_review; {versions}"
    )


# --- a new activity -------------------------------------------------------------------------

ACTIVITY = "activity"
FACTS_FILE = "policy/facts.yaml"


@dataclass(frozen=True, slots=True)
class NewActivity:
    """What `add_an_activity` added: names the policy and corpus did not use before."""

    value: str
    topic: str
    rule: str
    rules_file: str
    case: str
    corpus_file: str
    followed: str  # the name of the case the new one follows


def add_an_activity(root: Path, *, new_topic: bool) -> NewActivity:
    """A new value of the fact `activity` (helping the client find housing), a billable rule
    on it and a corpus case; under a new topic declared in policy.yaml (with a rules file
    of its own) when `new_topic`, else under the topic of the rule it follows (in that
    rule's file).

    The case follows the corpus case with fewest facts that a rule decides billable on the
    activity alone, and the new rule quotes what that rule quotes. The names are ones the
    policy and the corpus do not use yet: `housing_navigation`, `housing-navigation`, the
    topic `housing`, or the same with a number."""
    policy = load_policy(root / "policy")
    results = run_cases(policy, load_cases([root / "corpus"], policy))
    followed = sorted(
        (
            (len(result.case.facts), index, result.case, rule)
            for index, result in enumerate(results)
            if result.decision.outcome is Outcome.BILLABLE
            and len(result.decision.rules) == 1
            and isinstance((rule := policy.rule(result.decision.rules[0])).when, Is)
            and rule.when.fact == ACTIVITY
        ),
        key=lambda found: found[:2],
    )
    if not followed:
        raise MissingAnchor("no corpus case is decided billable by a rule on the activity alone")
    _, _, model, model_rule = followed[0]
    activity = next((fact for fact in policy.facts if fact.name == ACTIVITY and fact.values), None)
    if activity is None:
        raise MissingAnchor(f"the policy has no enum fact `{ACTIVITY}`")
    model_file = next(
        (
            path.relative_to(root).as_posix()
            for path in iter_yaml_files(root / "policy")
            if f"- id: {model_rule.id}\n" in path.read_text(encoding="utf-8")
        ),
        None,
    )
    if model_file is None:
        raise MissingAnchor(f"no file of policy/ holds the rule `{model_rule.id}` as `- id: {model_rule.id}`")

    taken = {
        "value": {value.name for value in activity.values},
        "topic": {topic.name for topic in policy.topics},
        "rule": {rule.id for rule in policy.rules},
        "case": {result.case.name for result in results},
    }
    number = 1  # the first number (none, then 2, 3, ...) that makes every name new
    while True:
        suffix = "" if number == 1 else str(number)
        topic = f"housing{suffix}" if new_topic else model_rule.topic
        added = NewActivity(
            value=f"housing_navigation{suffix}",
            topic=topic,
            rule=f"housing-navigation{suffix}",
            rules_file=f"policy/rules/{topic}.yaml" if new_topic else model_file,
            case=f"Helping a client find housing{f' ({number})' if number > 1 else ''} is billable",
            corpus_file=f"corpus/housing-navigation{suffix}.yaml",
            followed=model.name,
        )
        names = {"value": added.value, "rule": added.rule, "case": added.case}
        if new_topic:
            names["topic"] = added.topic
        files = [added.corpus_file, *([added.rules_file] if new_topic else [])]
        if all(name not in taken[kind] for kind, name in names.items()) and not any(
            (root / file).exists() for file in files
        ):
            break
        number += 1
    label_suffix = "" if number == 1 else f" ({number})"

    # The value, at the end of the activity's values.
    facts = read(root, FACTS_FILE)
    block = re.search(rf"^  {ACTIVITY}:\n(?:(?:    .*)?\n)+", facts, flags=re.M)
    values_block = block and re.search(r"^    values:\n(?:      .*\n)+", block.group(0), flags=re.M)
    if block is None or values_block is None:
        raise MissingAnchor(f"{FACTS_FILE} has no `{ACTIVITY}` fact whose values are listed one per line")
    insert_at = block.start() + values_block.end()
    entry = (
        f"      {added.value}:\n        label: Helping the client find housing{label_suffix}\n        topic: {topic}\n"
    )
    (root / FACTS_FILE).write_text(facts[:insert_at] + entry + facts[insert_at:], encoding="utf-8")

    if new_topic:  # declared at the end of policy.yaml's topics
        settings = read(root, POLICY_FILE)
        topics = re.search(r"^topics:\n(?:(?:  .*)?\n)*(?:  .*\n)", settings, flags=re.M)
        if topics is None:
            raise MissingAnchor(f"{POLICY_FILE} declares no topics, one per line")
        declared = f"  {topic}:\n    title: Housing{label_suffix}\n"
        (root / POLICY_FILE).write_text(
            settings[: topics.end()] + declared + settings[topics.end() :], encoding="utf-8"
        )

    rule_text = (
        f"  - id: {added.rule}\n    title: Helping clients find housing{label_suffix}\n    topic: {topic}\n"
        f"    outcome: billable\n    when:\n      {ACTIVITY}: {added.value}\n"
        "    reason: helping a client find housing is a billable case management activity\n"
        f"    source:\n      - {json.dumps(model_rule.quotes[0], ensure_ascii=False)}\n"
    )
    rules_path = root / added.rules_file
    if new_topic:
        rules_path.write_text("rules:\n" + rule_text, encoding="utf-8")
    else:
        rules_path.write_text(
            rules_path.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + rule_text, encoding="utf-8"
        )
    (root / added.corpus_file).write_text(
        "cases:\n"
        f"  - name: {added.case}\n"
        f"    facts: {json.dumps({**model.facts, ACTIVITY: added.value})}\n"
        f"    expect: {{outcome: billable, rules: [{added.rule}]}}\n",
        encoding="utf-8",
    )
    return added


def activity_under_a_new_topic(root: Path) -> Change:
    """A new activity with its billable rule and a corpus case, under a new topic (see
    `add_an_activity`); the version is raised."""
    added = add_an_activity(root, new_topic=True)
    versions = raise_the_version(root)
    return Change(
        "new-topic",
        f"activity `{added.value}` under the new topic `{added.topic}`, with rule `{added.rule}` "
        f"({added.rules_file}) and a case ({added.corpus_file}, following `{added.followed}`); {versions}",
    )


# --- the same decisions written another way ---------------------------------------------------

# A fact compared with a number, as a maintainer writes it: `fact:` then the comparison on
# the next line, or `fact: {more_than: n}`.
COMPARISON = re.compile(
    r"(?P<fact>\b\w+):(?:[ \t]*\n[ \t]+|[ \t]*\{[ \t]*)(?P<operator>more_than|at_least|less_than|at_most):[ \t]*(?P<bound>-?\d+)\b"
)
# Each comparison, and the one that holds for the same whole numbers.
SAME_AS = {
    "more_than": ("at_least", 1),
    "at_least": ("more_than", -1),
    "less_than": ("at_most", -1),
    "at_most": ("less_than", 1),
}


def first_comparison(root: Path) -> tuple[Path, re.Match[str]] | None:
    """The first comparison of a fact with a number in the copy's rules files (in file
    order; never one in a comment), or None when they make none."""
    for path in sorted((root / "policy" / "rules").rglob("*.y*ml")):
        text = path.read_text(encoding="utf-8")
        for found in COMPARISON.finditer(text):
            if "#" not in text[text.rfind("\n", 0, found.start()) + 1 : found.start()]:
                return path, found
    return None


def equivalent_rewrite(root: Path) -> Change:
    """The version raised, and the first comparison of the rules files (in file order)
    written the other way that holds for the same whole numbers (`more_than: 30` becomes
    `at_least: 31`; `at_least: 31` becomes `more_than: 30`): every decision stays as it was,
    so the corpus is unchanged."""
    first = first_comparison(root)
    if first is None:
        raise MissingAnchor("no rules file compares a fact with a number (`more_than: n`, `at_least: n`, ...)")
    path, found = first
    operator, shift = SAME_AS[found["operator"]]
    bound = int(found["bound"]) + shift
    text = found.string
    path.write_text(
        text[: found.start("operator")] + f"{operator}: {bound}" + text[found.end("bound") :], encoding="utf-8"
    )
    versions = raise_the_version(root)
    return Change(
        "equivalent-rewrite",
        f"{path.relative_to(root).as_posix()}: `{found['operator']}: {found['bound']}` -> `{operator}: {bound}`; {versions}",
    )


CHANGES: dict[str, Callable[[Path], Change]] = {
    "advocacy-email": advocacy_by_email_needs_review,
    "late-handoff": late_handoff_needs_review,
    "new-topic": activity_under_a_new_topic,
    "equivalent-rewrite": equivalent_rewrite,
}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in CHANGES:
        print(f"usage: {argv[0]} {{{','.join(CHANGES)}}} FOLDER", file=sys.stderr)
        return 2
    target = Path(argv[2])
    if target.exists():
        print(f"{target}: already exists; name a folder to create", file=sys.stderr)
        return 2
    target.mkdir(parents=True)
    try:
        change = CHANGES[argv[1]](copy_repository(target))
    except MissingAnchor as error:
        print(f"{argv[1]}: {error}", file=sys.stderr)
        return 1
    print(f"{target}: {change.summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

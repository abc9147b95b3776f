"""Validating a policy and the corpus beside it, as `billability validate` reports them."""

from __future__ import annotations

import shutil
from pathlib import Path

from billability.checks.validation import validate
from policy_texts import CLINIC


def test_a_valid_policy_and_corpus(tmp_path: Path) -> None:
    validation = validate(CLINIC / "policy", CLINIC / "corpus")
    assert validation.policy is not None and validation.policy.id == "clinic"
    assert validation.corpus == CLINIC / "corpus"
    assert validation.checked is not None and validation.checked.files == 1 and validation.checked.cases
    assert validation.problems == ()


def test_without_a_corpus_folder_only_the_policy_is_checked(tmp_path: Path) -> None:
    for corpus in (None, tmp_path / "absent"):
        validation = validate(CLINIC / "policy", corpus)
        assert validation.policy is not None
        assert (validation.corpus, validation.checked, validation.problems) == (None, None, ())


def test_a_policy_that_does_not_compile_still_has_its_corpus_read(tmp_path: Path) -> None:
    root = tmp_path / "clinic"
    shutil.copytree(CLINIC, root)
    facts = root / "policy" / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace("type: boolean", "type: yes-or-no"), encoding="utf-8")
    (root / "corpus" / "broken.yaml").write_text("cases: [\n", encoding="utf-8")
    validation = validate(root / "policy", root / "corpus")
    assert validation.policy is None
    assert validation.checked is not None and validation.checked.cases == ()
    files = {Path(d.location.file).name for d in validation.problems if d.location is not None}
    assert files == {"facts.yaml", "broken.yaml"}
    # The corpus's problems follow the policy's.
    assert [Path(d.location.file).name for d in validation.problems if d.location is not None][-1] == "broken.yaml"

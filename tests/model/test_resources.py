"""The policy and corpus a command acts on: those given, else the checkout's, else the
bundled ones, with the checkout looked for once."""

from __future__ import annotations

from pathlib import Path

import pytest

from billability.model import resources
from billability.model.resources import PolicyAndCorpus, corpus_dir, policy_and_corpus, policy_dir, policy_folder
from policy_texts import CLINIC


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[Path | None]:
    """Each folder the checkout is looked for from, as `find_checkout` is called."""
    calls: list[Path | None] = []
    real = resources.find_checkout

    def counted(start: Path | None = None) -> Path | None:
        calls.append(start)
        return real(start)

    monkeypatch.setattr(resources, "find_checkout", counted)
    return calls


def test_inside_a_checkout_its_own_policy_and_corpus(
    monkeypatch: pytest.MonkeyPatch, lookups: list[Path | None]
) -> None:
    monkeypatch.chdir(CLINIC / "corpus")
    assert policy_and_corpus() == PolicyAndCorpus(CLINIC / "policy", (CLINIC / "corpus",))
    assert len(lookups) == 1


def test_outside_any_checkout_the_bundled_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert policy_and_corpus() == PolicyAndCorpus(policy_dir(), (corpus_dir(),))


def test_what_is_given_is_taken_and_no_checkout_is_looked_for(
    monkeypatch: pytest.MonkeyPatch, lookups: list[Path | None]
) -> None:
    monkeypatch.chdir(CLINIC)
    chosen = policy_and_corpus("elsewhere/policy", ["a.yaml", Path("b")])
    assert chosen == PolicyAndCorpus(Path("elsewhere/policy"), (Path("a.yaml"), Path("b")))
    assert lookups == []


@pytest.mark.parametrize(
    ("policy", "corpus", "expected"),
    [
        ("mine/", (), PolicyAndCorpus(Path("mine/"), (CLINIC / "corpus",))),
        (None, ("cases.yaml",), PolicyAndCorpus(CLINIC / "policy", (Path("cases.yaml"),))),
    ],
)
def test_what_is_not_given_comes_from_one_lookup(
    monkeypatch: pytest.MonkeyPatch,
    lookups: list[Path | None],
    policy: str | None,
    corpus: tuple[str, ...],
    expected: PolicyAndCorpus,
) -> None:
    monkeypatch.chdir(CLINIC)
    assert policy_and_corpus(policy, corpus) == expected
    assert len(lookups) == 1


def test_a_command_that_reads_no_corpus_looks_for_the_checkout_only_without_a_policy(
    monkeypatch: pytest.MonkeyPatch, lookups: list[Path | None]
) -> None:
    monkeypatch.chdir(CLINIC)
    assert policy_folder("elsewhere/policy") == Path("elsewhere/policy")
    assert lookups == []
    assert policy_folder() == CLINIC / "policy"
    assert len(lookups) == 1

"""The staff site's Often confused page: pairs of corpus cases side by side.

In: a compiled `Policy`, the corpus's `CaseResult`s and the `Contrast`s to show (each
naming cases of the corpus).
Out: `contrasts.md`: for each contrast, what differs between its cases, then each case
with its answer, its reasons and the county's first quoted passage.
"""

from __future__ import annotations

from collections.abc import Sequence

from billability.checks.corpus import CaseResult
from billability.model.policy import Outcome
from billability.policy.compiled import Policy
from billability.policy.wording import badge, differing_facts, facts_text, front_matter, md, review_note, sentence
from billability.site.contrasts import Contrast
from billability.site.layout import CONTRASTS, anchor, rule_link
from billability.site.placement import quoted_passages


def contrasts_page(policy: Policy, results: Sequence[CaseResult], contrasts: Sequence[Contrast]) -> str:
    """Pairs of examples that look alike and are decided differently, side by side."""
    by_name = {result.case.name: result for result in results}
    lines = [
        *front_matter(hide=("navigation",)),
        "# Often confused",
        "",
        "Each pair below looks alike but is decided differently. "
        "Every example is a case that the project's tests run against the policy.",
        "",
    ]
    for contrast in contrasts:
        chosen = [by_name[name] for name in contrast.cases]
        lines += [f"## {md(contrast.title)} {{ #{anchor(contrast.title)} }}", ""]
        differing = differing_facts(policy, [result.case.facts for result in chosen])
        if differing:
            lines += ["What differs: " + "; ".join(differing) + ".", ""]
        lines += ['<div class="grid cards" markdown>', ""]
        for result in chosen:
            decision = result.decision
            lines += [
                f"-   {badge(decision.outcome)}",
                "",
                f"    **{md(result.case.name)}**",
                "",
                f"    {md(facts_text(policy, result.case.facts))}",
                "",
            ]
            for rule_id, reason in zip(decision.rules, decision.reasons, strict=True):
                rule = policy.rule(rule_id)
                lines += [f"    Why: {md(sentence(reason))} [{md(rule.title)}]({rule_link(CONTRASTS, rule)})", ""]
            for citation in decision.citations:
                # The first passage is enough beside its twin; the rule's section has them all.
                lines += [f"    > {quoted_passages(policy, policy.rule(citation.rule))[0]}", ""]
        lines += ["</div>", ""]
        if any(result.decision.outcome is Outcome.NEEDS_REVIEW for result in chosen):
            lines += review_note(policy)
    return "\n".join(lines)

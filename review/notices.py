"""What the matter page says at once about legal review (registered as a matters.gates notice):
a proposal in the review scope offers 送法制审核; a review under way links to itself."""

import copy

from django.urls import reverse

from matters.workflows import workflow_for
from org.permissions import can
from review.models import LegalReview
from review.scope import GATED, gate, review_required

# The leader's approval after an on-the-spot seizure (行政强制法 第十九条) is the decision that the
# review of the seizure comes before: the review runs after the fact, on the `seal` scope.
EMERGENCY_DECISIONS = ("approve_emergency", "refuse_emergency")


def gate_emergency(matter) -> str | None:
    return gate(matter, "seal")


def file_emergency(matter, step) -> None:
    """备案 of the approval, as for a seizure decided after review (000 第十二条第二款)."""
    from review.services import decision_file

    as_seal = copy.copy(step)
    as_seal.transition = "seal"
    decision_file(matter, as_seal)


def matter_review_notice(matter, viewer) -> list[dict]:
    if matter.closed_at is not None:
        return []
    wf = workflow_for(matter.kind, matter.procedure)
    # The decision steps still ahead of the matter (from its current state or a later one).
    ahead = [code for code in GATED if wf.transition(code) is not None]
    if not ahead or matter.state in {s.code for s in wf.states if s.final}:
        return []
    emergency = matter.state == "emergency"  # seized on the spot: reviewed before the leader approves
    transition = next((c for c in ahead if matter.state in wf.transition(c).sources), ahead[0])
    if matter.steps.filter(transition__in=[*GATED, *EMERGENCY_DECISIONS]).exists():
        return []
    required, hits = review_required(matter, transition)
    if not required:
        return []
    why = "；".join(f"{h.text}（{h.reason}）" for h in hits) or f"已认定为重大案件：{matter.major_reason}"
    review = LegalReview.objects.filter(matter=matter, transition=transition).order_by("-submitted_at", "-pk").first()
    if review is None:
        when = "补办批准前" if emergency else "作出决定前"
        text = f"本案拟作出的决定属于重大行政执法决定法制审核范围（{why}），{when}须经法制审核。"
        if can(viewer, "review.submit"):
            url = reverse("review:submit", args=[matter.pk]) + f"?transition={transition}"
            return [{"text": text, "url": url, "link": "送法制审核"}]
        return [{"text": text + "请由承办执法人员或科室负责人送审。", "url": "", "link": ""}]
    text = f"本案属于法制审核范围（{why}），法制审核：{review.get_state_display()}。"
    url = reverse("review:detail", args=[review.pk]) if can(viewer, "review.view") else ""
    if not url and can(viewer, "review.submit"):
        url = reverse("review:submit", args=[matter.pk])
    return [{"text": text, "url": url, "link": "查看法制审核" if url else ""}]

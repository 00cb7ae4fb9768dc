"""What the matter page says at once about legal review (registered as a matters.gates notice):
a proposal in the review scope offers 送法制审核; a review under way links to itself."""

from django.urls import reverse

from matters.workflows import workflow_for
from org.permissions import can
from review.models import LegalReview
from review.scope import GATED, review_required


def matter_review_notice(matter, viewer) -> list[dict]:
    if matter.closed_at is not None:
        return []
    wf = workflow_for(matter.kind, matter.procedure)
    # The decision steps still ahead of the matter (from its current state or a later one).
    ahead = [code for code in GATED if wf.transition(code) is not None]
    if not ahead or matter.state in {s.code for s in wf.states if s.final}:
        return []
    transition = next((c for c in ahead if matter.state in wf.transition(c).sources), ahead[0])
    if matter.steps.filter(transition=transition).exists():
        return []
    required, hits = review_required(matter, transition)
    if not required:
        return []
    why = "；".join(f"{h.text}（{h.reason}）" for h in hits) or f"已认定为重大案件：{matter.major_reason}"
    review = LegalReview.objects.filter(matter=matter, transition=transition).order_by("-submitted_at", "-pk").first()
    if review is None:
        text = f"本案拟作出的决定属于重大行政执法决定法制审核范围（{why}），作出决定前须经法制审核。"
        if can(viewer, "review.submit"):
            return [{"text": text, "url": reverse("review:submit", args=[matter.pk]), "link": "送法制审核"}]
        return [{"text": text + "请由承办执法人员或科室负责人送审。", "url": "", "link": ""}]
    text = f"本案属于法制审核范围（{why}），法制审核：{review.get_state_display()}。"
    url = reverse("review:detail", args=[review.pk]) if can(viewer, "review.view") else ""
    if not url and can(viewer, "review.submit"):
        url = reverse("review:submit", args=[matter.pk])
    return [{"text": text, "url": url, "link": "查看法制审核" if url else ""}]

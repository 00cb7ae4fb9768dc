"""Home-page queue of the archive (registered in ArchiveConfig.ready, read through org.queues):
销毁清册待审批 for whoever approves disposals (档案法实施条例第二十四条: expired files are appraised
and destroyed only as approved), each line linking to its place in the register, where the form is."""

from django.urls import reverse

from archive.choices import DisposalState
from archive.selectors import disposal_list
from org.permissions import can
from org.queues import Queue, QueueItem


def archive_queues(viewer) -> list[Queue]:
    if not can(viewer, "archive.approve_disposal") or not can(viewer, "archive.view"):
        return []
    url = reverse("archive:disposals")
    pending = disposal_list(viewer=viewer).filter(state=DisposalState.PROPOSED).select_related("proposed_by")
    items = [
        QueueItem(
            label=f"销毁清册 {d.pk}（{len(d.items.all())}卷）",
            url=f"{url}#disposal-{d.pk}",
            note=f"{d.proposed_by.name}提出",
            due=d.proposed_at,
        )
        for d in pending.order_by("proposed_at", "pk")
    ]
    return [Queue("archive.disposals", "销毁清册待审批", items, url=url, order=60)]

"""Home-page queues of publicity (registered in PublicityConfig.ready, read through org.queues):
待审查 drafts and reviewed items 待发布 (000 第二十四条: nothing is published unreviewed)."""

from django.urls import reverse

from org.permissions import can
from org.queues import Queue, QueueItem
from publicity.choices import PublicationState
from publicity.selectors import publication_list


def _items(publications) -> list[QueueItem]:
    return [
        QueueItem(
            label=f"{p.instrument_number} · {p.get_category_display()}",
            url=reverse("publicity:staff_detail", kwargs={"pk": p.pk}),
            note=p.get_state_display(),
            due=p.due_on,
        )
        for p in publications
    ]


def publicity_queues(viewer) -> list[Queue]:
    if not can(viewer, "publicity.review"):
        return []
    # Both queues from one read.
    waiting = list(
        publication_list(viewer=viewer)
        .filter(state__in=(PublicationState.DRAFT, PublicationState.REVIEWED))
        .order_by("due_on", "pk")
    )
    drafts = [p for p in waiting if p.state == PublicationState.DRAFT]
    ready = [p for p in waiting if p.state == PublicationState.REVIEWED]
    url = reverse("publicity:staff_list")
    return [
        Queue("publicity.review", "公示待审查", _items(drafts), url=url, order=40),
        Queue("publicity.publish", "待发布", _items(ready), url=url, order=41),
    ]

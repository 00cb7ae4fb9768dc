"""Home-page queues of legal review (registered in ReviewConfig.ready, read through org.queues).

待审核: reviews under way that the reviewer is assigned to, or that have no 初审人员 yet;
待我决定（法制审核后）: reviews whose opinion waits for the leader (000 第十二条)."""

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from org.choices import Role
from org.permissions import can
from org.queues import Queue, QueueItem
from review.choices import ReviewState
from review.models import ReviewerAssignment
from review.selectors import review_list


def _items(reviews) -> list[QueueItem]:
    now = timezone.now()
    return [
        QueueItem(
            label=r.matter.title,
            url=reverse("review:detail", kwargs={"pk": r.pk}),
            note=r.get_state_display(),
            due=r.due,
            overdue=bool(r.due and r.due < now),
        )
        for r in reviews
    ]


def review_queues(viewer) -> list[Queue]:
    if not can(viewer, "review.view"):
        return []
    queues = []
    roles = viewer.role_codes
    reviews = review_list(viewer=viewer)
    if Role.LEGAL_REVIEWER in roles:
        mine = ReviewerAssignment.objects.filter(review=OuterRef("pk"), reviewer=viewer)
        unassigned = ReviewerAssignment.objects.filter(review=OuterRef("pk"), first=True)
        waiting = (
            reviews.filter(state__in=(ReviewState.REVIEWING, ReviewState.SUPPLEMENTING))
            .filter(Exists(mine) | ~Exists(unassigned))
            .order_by("due", "pk")
        )
        queues.append(Queue("review.conduct", "待审核", _items(waiting), url=reverse("review:workbench"), order=30))
    if Role.LEADER in roles:
        waiting = reviews.filter(state=ReviewState.OPINION).order_by("submitted_at", "pk")
        queues.append(
            Queue("review.leader", "待我决定（法制审核后）", _items(waiting), url=reverse("review:workbench"), order=21)
        )
    return queues

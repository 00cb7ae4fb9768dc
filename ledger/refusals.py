"""Refused looks at an object: each refusal is a ledger event of its own (`<kind>.denied`).

Selectors of every app resolve route ids through `object_visible`, so an id that exists but lies
outside what the viewer may see (another agency, another section, a 涉密 item) is refused and
logged the same way everywhere. The refusal commits on its own: callers check before they open
the transaction of any change, so nothing else is written.
"""

from django.db import models, transaction
from django.db.models import QuerySet
from django.http import Http404

from ledger.models import Event
from ledger.services import event_record


def denied_kind(model) -> str:
    return f"{model._meta.model_name}.denied"


def refusal_record(*, subject: models.Model, acting_user, reason: str, kind: str | None = None) -> Event:
    """Log that `acting_user` was refused `subject`. The event belongs to the viewer's agency:
    a look at another agency's object is that viewer's act, and says nothing to them."""
    with transaction.atomic():
        return event_record(
            kind=kind or denied_kind(type(subject)),
            subject=subject,
            acting_user=acting_user,
            agency=getattr(acting_user, "agency", None),
            data={"reason": reason},
        )


def object_visible(
    queryset: QuerySet, *, pk, viewer, missing: str = "没有这个对象，或它不属于本单位。", kind: str | None = None
):
    """The object `pk` from `queryset` (what `viewer` may see). An id that exists outside it is
    logged as a refusal; either way the answer is 404 with `missing`, which does not confirm
    that the object exists elsewhere."""
    found = queryset.filter(pk=pk).first()
    if found is not None:
        return found
    hidden = queryset.model._base_manager.filter(pk=pk).first()
    if hidden is not None:
        refusal_record(subject=hidden, acting_user=viewer, reason="不在可查看范围内", kind=kind)
    raise Http404(missing)

from django.db import models, transaction

from ledger.models import Event


def event_record(
    *, kind: str, subject: models.Model, acting_user=None, agency=None, data: dict | None = None
) -> Event:
    """Append one event for `subject`. Must run inside the caller's transaction.

    Raises RuntimeError if called outside a transaction: an event must commit or roll back with
    the change it records.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger events must be written inside the transaction of the change")
    if agency is None:
        agency = getattr(subject, "agency", None)
    return Event.objects.create(
        kind=kind,
        actor=acting_user if getattr(acting_user, "pk", None) else None,
        agency=agency,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        data=data or {},
    )

"""Access and the archive: an open request (and a 复议 or 诉讼 marked on it) holds its records' case
files, so a destruction list including them is refused; the hold ends when the request is refused
or its period runs out (`zhifa access expire`), the proceedings' hold only when released."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from access.models import AccessRequest
from access.services import request_decide, request_submit
from access.tests.conftest import seal_into_case_file
from archive.models import Hold
from archive.services import disposal_propose, hold_release
from ledger.models import Event
from review.tests.helpers import make_matter

pytestmark = pytest.mark.django_db


@pytest.fixture
def expired_file(people, section, stored):
    """A sealed case file holding the records, whose retention ran out yesterday."""
    matter = make_matter(section.agency, section, people.author, state="closed")
    case_file = seal_into_case_file(matter, stored)
    case_file.retain_until = timezone.localdate() - timedelta(days=1)
    case_file.save(update_fields=["retain_until"])
    return case_file


def _ask(people, stored, **kw):
    now = timezone.now()
    return request_submit(acting_user=people.outsider, requester_kind="other_section", action="view",
                          purpose="执法监督", records=stored, period_start=now - timedelta(minutes=1),
                          period_end=now + timedelta(days=2), **kw)


def test_an_open_request_holds_the_case_file_until_it_is_refused(people, stored, expired_file):
    request = _ask(people, stored)
    hold = Hold.objects.get(case_file=expired_file, released_at__isnull=True)
    assert hold.kind == "access_request" and hold.reference == request.number
    assert Event.objects.filter(kind="hold.place", subject_id=str(hold.pk), actor=people.outsider).exists()
    with pytest.raises(ValidationError) as refused:
        disposal_propose(acting_user=people.archivist, case_files=[expired_file], reason="保管期满")
    assert "保全中" in refused.value.messages[0] and request.number in refused.value.messages[0]

    request_decide(request=request, approve=False, note="与执法监督无关", acting_user=people.leader)
    hold.refresh_from_db()
    assert hold.released_at and "不予批准" in hold.release_reason
    disposal = disposal_propose(acting_user=people.archivist, case_files=[expired_file], reason="保管期满")
    assert disposal.items.get().case_file == expired_file


def test_the_hold_ends_with_the_period_but_litigation_keeps_it(people, stored, expired_file, capsys):
    request = _ask(people, stored, proceedings="litigation")
    assert set(Hold.objects.filter(case_file=expired_file).values_list("kind", flat=True)) == {
        "access_request", "litigation"
    }
    call_command("access", "expire")
    assert "没有需要解除" in capsys.readouterr().out  # the period has not run yet

    AccessRequest.objects.filter(pk=request.pk).update(
        period_start=timezone.now() - timedelta(days=3), period_end=timezone.now() - timedelta(minutes=1)
    )
    call_command("access", "expire")
    assert request.number in capsys.readouterr().out
    assert not Hold.objects.filter(kind="access_request", released_at__isnull=True).exists()
    with pytest.raises(ValidationError) as refused:  # the 诉讼 goes on
        disposal_propose(acting_user=people.archivist, case_files=[expired_file], reason="保管期满")
    assert "行政诉讼" in refused.value.messages[0]
    litigation = Hold.objects.get(kind="litigation")
    hold_release(acting_user=people.leader, hold=litigation, reason="判决已生效")
    assert disposal_propose(acting_user=people.archivist, case_files=[expired_file], reason="保管期满")


def test_records_in_no_case_file_yet_are_held_themselves(people, stored):
    request = _ask(people, stored[:1])
    hold = Hold.objects.get(reference=request.number)
    assert hold.record == stored[0] and hold.case_file is None

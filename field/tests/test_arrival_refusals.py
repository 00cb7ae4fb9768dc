"""电子送达 from the app, second half: the photo of the arrival (到达回执) is filed only when the service
it proves is accepted. Each kind of refusal — no consent, arrival before the sending, a time ahead of
now, already served, someone who does not handle the matter — stores no new file, files no record,
offers nothing new in the serve page's pickers, and is logged."""

import itertools
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from field.tests.test_print_serve import _ordered
from ledger.models import Event
from matters.models import Service
from matters.serving import service_address_record, service_scan_file
from matters.tests.test_serve_uploads import _offered
from records.models import Record
from records.tests.clips import make_image

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_pdf")]

_SIZES = itertools.count(300)


def _state(serve_url, client, officer):
    blobs = settings.DATA_DIR / "blobs"
    files = sorted(p for p in blobs.rglob("*") if p.is_file()) if blobs.exists() else []
    return files, Record.objects.count(), Service.objects.count(), _offered(client, officer, serve_url)


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _arrive(client, team, order, sent_record, when):
    """Post a new photo (new bytes each time) as the arrival of the message."""
    photo = make_image(team.folder / f"arrival-{next(_SIZES)}.jpg", size=(next(_SIZES), 70))
    with photo.open("rb") as f:
        return client.post(
            f"/field/instruments/{order.pk}/arrived/",
            {"sent_record": sent_record, "arrived_at": when, "photo": f}, follow=True,
        ).content.decode()


def _logged(kind, **data):
    return Event.objects.filter(kind=kind, **{f"data__{k}": v for k, v in data.items()}).count()


def test_every_refused_arrival_stores_no_file_and_files_no_record(team, client, make_staff):
    insp, order = _ordered(team)
    serve_url = reverse("matters:serve", kwargs={"pk": insp.pk, "instrument": order.pk})
    some_record = Record.objects.filter(agency=team.agency).first()
    failed = "电子送达未通过校验"

    # no consent (no 送达地址确认书 agreeing to electronic service): refused, nothing stored
    before = _state(serve_url, client, team.officer)
    client.force_login(team.officer)
    logged = _logged("matter.view", purpose=failed)
    text = _arrive(client, team, order, some_record.pk, _local(timezone.now()))
    assert "第六十一条第二款" in text and "送达地址确认书" in text
    assert _state(serve_url, client, team.officer) == before
    assert _logged("matter.view", purpose=failed) == logged + 1

    service_address_record(
        acting_user=team.officer, matter=insp, recipient="王某", signed_on=timezone.localdate(),
        scan=service_scan_file(
            acting_user=team.officer, matter=insp, path=make_image(team.folder / "addr.jpg", size=(71, 99)),
            original_name="送达地址确认书.jpg", title="送达地址确认书",
        ), electronic=True, email="wang@dongxing.example",
    )
    client.force_login(team.officer)
    assert "已发送至wang@dongxing.example" in client.post(f"/field/instruments/{order.pk}/send/", follow=True).content.decode()
    sent = Event.objects.get(kind="instrument.electronic_send").data["sent_record"]
    before = _state(serve_url, client, team.officer)

    # the arrival before the sending
    client.force_login(team.officer)
    logged = _logged("matter.view", purpose=failed)
    text = _arrive(client, team, order, sent, _local(timezone.now() - timedelta(hours=1)))
    assert "到达时间早于发送时间" in text
    assert _state(serve_url, client, team.officer) == before
    # a time ahead of now (past the sending): refused by the service's own check, after the photo was
    # delivered — still no new file in the blob store
    client.force_login(team.officer)
    text = _arrive(client, team, order, sent, _local(timezone.now() + timedelta(days=2)))
    assert "晚于现在" in text
    assert _state(serve_url, client, team.officer) == before
    assert _logged("matter.view", purpose=failed) == logged + 2

    # a colleague who does not handle the matter: refused and logged as a refusal
    stranger = make_staff("officer", certificate=True, name="周执法", username="zhou")
    client.force_login(stranger)
    refusals = Event.objects.filter(kind__endswith="denied").count()
    text = _arrive(client, team, order, sent, _local(timezone.now()))
    assert Event.objects.filter(kind__endswith="denied").count() == refusals + 1
    assert _state(serve_url, client, team.officer) == before
    assert not Service.objects.filter(instrument=order).exists()

    # accepted: exactly one new record (the photo), its file stored, linked to the service
    client.force_login(team.officer)
    text = _arrive(client, team, order, sent, _local(timezone.now()))
    assert "已登记《责令限期整改指令书》" in text
    files, records, services, _ = _state(serve_url, client, team.officer)
    assert (records, services) == (before[1] + 1, before[2] + 1) and len(files) == len(before[0]) + 1
    service = Service.objects.get(instrument=order)
    assert {r.title for r in service.records.all()} >= {f"{order.title}{order.number}电子送达到达回执"}
    after = _state(serve_url, client, team.officer)

    # already served: refused, the second photo not stored
    client.force_login(team.officer)
    logged = _logged("matter.view", purpose=failed)
    text = _arrive(client, team, order, sent, _local(timezone.now()))
    assert "已登记送达" in text
    assert _state(serve_url, client, team.officer) == after
    assert _logged("matter.view", purpose=failed) == logged + 1

"""The checkpoints on the public portal, without log-in: the latest as a C2SP signed note (with the
witnesses' cosignatures), every earlier one, and the key that verifies them."""

import pytest
from django.db import transaction

from ledger.keys import verifier_key
from ledger.models import Cosignature
from ledger.note import cosign, cosignatures_in, generate_cosigner, open_note, parse_checkpoint
from ledger.services import checkpoint_sign, event_record

pytestmark = pytest.mark.django_db


def _events(agency, n):
    with transaction.atomic():
        for i in range(n):
            event_record(kind="test.event", subject=agency, data={"n": i})


def test_no_checkpoint_yet_is_a_chinese_404(client):
    response = client.get("/public/ledger/checkpoint")
    assert response.status_code == 404 and "尚未签署台账检查点" in response.content.decode()


def test_the_latest_checkpoint_is_published_with_its_cosignatures(client, agency):
    _events(agency, 3)
    first = checkpoint_sign()
    _events(agency, 4)
    latest = checkpoint_sign()
    signer, vkey = generate_cosigner("witness.test/w1")
    line = cosign(open_note(latest.note, verifier_key()), signer, 1_760_000_000)
    Cosignature.objects.create(checkpoint=latest, witness="witness.test/w1", line=line, signed_at=latest.created_at)

    response = client.get("/public/ledger/checkpoint")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    note = response.content.decode()
    assert parse_checkpoint(open_note(note, verifier_key())).size == latest.size
    assert cosignatures_in(note, vkey)[0].timestamp == 1_760_000_000
    assert client.get("/public/ledger/key").content.decode() == verifier_key() + "\n"

    page = client.get("/public/ledger/checkpoints/").content.decode()
    assert f"/public/ledger/checkpoints/{first.size}" in page and f"/public/ledger/checkpoints/{latest.size}" in page
    assert "witness.test/w1" in page and latest.root_hash in page
    earlier = client.get(f"/public/ledger/checkpoints/{first.size}")
    assert earlier.status_code == 200 and earlier.content.decode() == first.note
    for size in (latest.size + 1, 10**30):
        missing = client.get(f"/public/ledger/checkpoints/{size}")
        assert missing.status_code == 404 and "没有大小为" in missing.content.decode()
    assert client.post("/public/ledger/checkpoint").status_code == 405
    assert client.get("/public/ledger/checkpoints/?page=abc").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_verify_against_the_portal_url_on_loopback(live_server):
    from io import StringIO

    from django.core.management import call_command

    from org.tests.factories import AgencyFactory

    _events(AgencyFactory(), 5)
    checkpoint = checkpoint_sign()
    out = StringIO()
    call_command(
        "ledger", "verify", "--against", f"{live_server.url}/public/ledger/checkpoint", stdout=out, stderr=StringIO()
    )
    assert f"/public/ledger/checkpoint，大小 {checkpoint.size}）一致" in out.getvalue()

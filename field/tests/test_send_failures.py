"""电子送达 when the mail server does not take the message, against a real SMTP server on this machine:
nothing listening, a temporary refusal (451), a permanent one (550), then acceptance. Each failed
attempt is a recorded fact — the exact message filed and referenced by an
`instrument.electronic_send_failed` event with the server's answer — the 文书 stays unserved, the
officer reads what happened and what to do next (the pack's other ways of service, with their
article), and the blob store holds no file that nothing references. The retry that the server
accepts is recorded as any sending is, and its message is the one the server received."""

import email.header
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from field.tests.smtp import mail_server  # noqa: F401  (the fixture)
from field.tests.test_print_serve import _ordered
from ledger.models import Event
from matters.choices import ServiceMethod
from matters.models import Service
from matters.serving import service_address_record, service_scan_file
from policy.selectors import agency_rules
from records.models import Record, RecordVersion
from records.storage import blob_store
from records.tests.clips import make_image

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_pdf")]

ADDRESS = "wang@dongxing.example"


def _unreferenced() -> list[str]:
    """Files under the blob store's folder that no record version references (a leftover temporary
    file counts too)."""
    folder = settings.DATA_DIR / "blobs"
    files = [p.name for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
    referenced = set(RecordVersion.objects.values_list("sha256", flat=True))
    return [name for name in files if name not in referenced]


def _filed(record_pk: int) -> bytes:
    version = RecordVersion.objects.get(record_id=record_pk)
    with blob_store().open(version.sha256) as stream:
        return stream.read()


def test_a_refused_or_unreachable_mail_server_leaves_a_recorded_attempt_and_the_retry_serves(
    team, client, mail_server  # noqa: F811
):
    insp, order = _ordered(team)
    address = service_address_record(
        acting_user=team.officer, matter=insp, recipient="王某", signed_on=timezone.localdate(),
        scan=service_scan_file(
            acting_user=team.officer, matter=insp, path=make_image(team.folder / "addr.jpg", size=(70, 99)),
            original_name="送达地址确认书.jpg", title="送达地址确认书",
        ), electronic=True, email=ADDRESS,
    )
    rule = agency_rules(team.agency).rule("service.requirements")
    methods = [ServiceMethod(row["method"]).label for row in rule.value]
    client.force_login(team.officer)
    send = f"/field/instruments/{order.pk}/send/"
    assert not _unreferenced()

    def attempt(outcome, code, answer_has, says):
        records = Record.objects.count()
        html = client.post(send, follow=True).content.decode()
        assert 'class="card bad" id="message"' in html and says in html, html[:4000]
        assert "本次发送尝试已记录" in html and "文书未送达" in html
        assert rule.cited("、") in html and all(label in html for label in methods)
        failed = Event.objects.filter(kind="instrument.electronic_send_failed").latest("pk")
        data = failed.data
        assert (data["outcome"], data["code"], data["to"]) == (outcome, code, ADDRESS)
        assert answer_has in data["answer"] and len(data["answer"]) <= 500
        assert failed.subject_id == str(order.pk) and failed.actor_id == team.officer.pk
        # the message attempted is filed, once, and the failed attempt references it
        assert Record.objects.count() == records + 1 and f"发送记录#{data['sent_record']}" in html
        filed = email.message_from_bytes(_filed(data["sent_record"]))
        assert filed["To"] == ADDRESS and order.number in str(email.header.make_header(
            email.header.decode_header(filed["Subject"])))
        assert not Event.objects.filter(kind="instrument.electronic_send").exists()
        assert not Service.objects.filter(instrument=order).exists()
        assert not _unreferenced()
        # the instrument page (where the officer lands) shows the failed attempt, with a button to send again
        assert 'id="send-failed"' in html and f"重新发送至 {ADDRESS}" in html
        assert f'href="{reverse("matters:serve", args=[insp.pk, order.pk])}" id="serve-otherwise"' in html
        assert ('id="new-address"' in html) == (outcome == "refused")  # the address itself was refused
        return data

    # (d) nothing listens on the mail port: the connection is refused
    attempt("unreachable", None, "Connection refused", "无法连接邮件服务器")
    # (c) the server defers the recipient: a temporary refusal, sending again may succeed
    mail_server.start()
    mail_server.answer = "451 4.7.1 Greylisted, please try again later"
    deferred = attempt("deferred", 451, "451 4.7.1 Greylisted", "暂时拒收")
    # (b) the server does not know the recipient: permanent, the same address again cannot succeed
    mail_server.answer = f"550 5.1.1 <{ADDRESS}>: Recipient address rejected: User unknown"
    attempt("refused", 550, "User unknown", "重新发送到同一地址不会成功")
    assert not mail_server.received
    assert Event.objects.filter(kind="instrument.electronic_send_failed").count() == 3

    # a failed attempt's message is no 发送记录 for the arrival
    photo = make_image(team.folder / "arrival.jpg", size=(90, 70))
    arrived = timezone.localtime(timezone.now() + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
    with photo.open("rb") as f:
        refused = client.post(
            f"/field/instruments/{order.pk}/arrived/",
            {"sent_record": deferred["sent_record"], "arrived_at": arrived, "photo": f}, follow=True,
        ).content.decode()
    assert "请先从本应用发送该文书" in refused and not _unreferenced()
    # nor for the desktop 登记送达 page: picked there, it is refused as proving no sending
    at = timezone.localtime(timezone.now()).strftime("%Y-%m-%dT%H:%M")
    desktop = client.post(
        reverse("matters:serve", args=[insp.pk, order.pk]),
        {"method": "electronic", "recipient": "王某", "served_at": at, "address": address.pk,
         "sent_record": deferred["sent_record"]},
    ).content.decode()
    assert f"记录#{deferred['sent_record']} 是一次未成功的电子送达的发送记录" in desktop, desktop[-2000:]
    assert not Service.objects.filter(instrument=order).exists()

    # (a) the server accepts: sent and recorded as any sending, the message filed is the one received
    mail_server.answer = None
    html = client.post(send, follow=True).content.decode()
    assert f"已发送至{ADDRESS}" in html
    (rcpt, content), = mail_server.received
    sent = Event.objects.get(kind="instrument.electronic_send")
    assert rcpt == [ADDRESS] and content.rstrip(b"\r\n") == _filed(sent.data["sent_record"]).rstrip(b"\r\n")
    assert not _unreferenced()
    assert 'id="send-failed"' not in html and 'id="arrival"' in html
    with photo.open("rb") as f:
        done = client.post(
            f"/field/instruments/{order.pk}/arrived/",
            {"sent_record": sent.data["sent_record"], "arrived_at": arrived, "photo": f}, follow=True,
        ).content.decode()
    assert "已登记《责令限期整改指令书》" in done
    service = Service.objects.get(instrument=order)
    assert service.method == "electronic" and sent.data["sent_record"] in set(service.records.values_list("pk", flat=True))
    assert not _unreferenced()


def test_the_servers_reply_decides_permanent_temporary_or_unreached_and_is_kept_bounded():
    import smtplib

    from field.services import SEND_ANSWER_MAX, _send_failure

    unknown = smtplib.SMTPRecipientsRefused({ADDRESS: (550, b"5.1.1 User unknown")})
    assert _send_failure(unknown) == {
        "outcome": "refused", "code": 550, "answer": f"550 5.1.1 User unknown <{ADDRESS}>", "recipient_refused": True}
    # the agency's own server refuses the sender or the message: permanent, and not the party's address
    relay = _send_failure(smtplib.SMTPSenderRefused(550, b"5.7.1 Relaying denied", "zhifa@localhost"))
    assert (relay["outcome"], relay["code"], relay["recipient_refused"]) == ("refused", 550, False)
    assert _send_failure(smtplib.SMTPDataError(452, b"4.3.1 Insufficient system storage"))["outcome"] == "deferred"
    for exc in (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), TimeoutError("timed out"),
                ConnectionRefusedError(111, "Connection refused")):
        failure = _send_failure(exc)
        assert failure["outcome"] == "unreachable" and failure["code"] is None and type(exc).__name__ in failure["answer"]
    # a long or multi-line reply is kept on one line, within its bound
    long = _send_failure(smtplib.SMTPDataError(554, b"5.7.0 rejected\r\n" + b"x" * 2000))
    assert len(long["answer"]) == SEND_ANSWER_MAX and "\n" not in long["answer"] and long["answer"].endswith("…")

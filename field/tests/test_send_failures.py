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


def test_an_attempt_that_lost_its_filing_or_its_outcome_is_settled_without_claiming_a_service(
    team, client, mail_server  # noqa: F811
):
    """The two windows of a send: (a) the message's bytes reached the blob store, then its filing
    transaction failed — nothing was handed to the mail server, and the attempt recorded beforehand
    names the stored bytes; (b) the server accepted the message, then recording the outcome failed —
    the attempt stays 'sending' until `zhifa field settle` says its outcome is unknown (never served),
    and the party's arrival, photographed, is what proves it went out."""
    from io import StringIO
    from unittest import mock

    from django.core.management import call_command
    from django.db import OperationalError
    from django.utils.html import escape

    from field import services
    from field.models import ElectronicSend
    from matters import serving

    insp, order = _ordered(team)
    service_address_record(
        acting_user=team.officer, matter=insp, recipient="王某", signed_on=timezone.localdate(),
        scan=service_scan_file(
            acting_user=team.officer, matter=insp, path=make_image(team.folder / "addr.jpg", size=(70, 99)),
            original_name="送达地址确认书.jpg", title="送达地址确认书",
        ), electronic=True, email=ADDRESS,
    )
    mail_server.start()
    client.force_login(team.officer)
    send, page = f"/field/instruments/{order.pk}/send/", f"/field/instruments/{order.pk}/print/"

    def age():  # as if 11 minutes went by since the unsettled attempts started
        for attempt in ElectronicSend.objects.filter(state__in=services.UNSETTLED):
            ElectronicSend.objects.filter(pk=attempt.pk).update(started_at=attempt.started_at - timedelta(minutes=11))

    def settle(abandoned: int, unknown: int):
        age()
        out = StringIO()
        call_command("field", "settle", stdout=out)
        said = out.getvalue()
        assert f"{abandoned} 次发送尝试登记为未发出" in said and f"{unknown} 次登记为发送结果不明" in said, said

    # (a) the .eml is stored, then the filing transaction fails
    real_file = serving.service_scan_file

    def file_then_fail(**kwargs):
        real_file(**kwargs)
        raise OperationalError("server closed the connection unexpectedly")

    records = Record.objects.count()
    with mock.patch.object(serving, "service_scan_file", file_then_fail), pytest.raises(OperationalError):
        client.post(send)
    attempt = ElectronicSend.objects.get()
    assert attempt.state == "prepared" and attempt.sent_record is None and Record.objects.count() == records
    assert not mail_server.received  # never handed over
    # the stored bytes are no record, and the attempt names them: its SHA-256 is the blob's
    assert _unreferenced() == [attempt.eml_sha256] and blob_store().exists(attempt.eml_sha256)
    html = client.get(page).content.decode()
    assert 'id="send-pending"' in html and 'id="send"' not in html
    # a second send before the first is settled is refused: no second message
    refused = client.post(send, follow=True).content.decode()
    assert "尚无结果" in refused and ElectronicSend.objects.count() == 1 and not mail_server.received
    age()  # past the wait the page says what settling will, and offers to send again
    html = client.get(page).content.decode()
    assert 'id="send-abandoned"' in html and 'id="send-pending"' not in html and 'id="send"' in html
    settle(1, 0)
    abandoned = Event.objects.get(kind="instrument.electronic_send_abandoned")
    assert abandoned.data["message_id"] == attempt.message_id and abandoned.data["eml_stored"] is True
    assert abandoned.actor_id is None and ElectronicSend.objects.get().state == "abandoned"
    html = client.get(page).content.decode()
    assert 'id="send-abandoned"' in html and "邮件没有发出" in html and f"重新发送至 {ADDRESS}" in html
    assert 'id="arrival"' not in html

    # (b) the server accepts the message, then recording the outcome fails once
    real_outcome, calls = services.electronic_send_outcome_record, []

    def outcome_fails_once(**kwargs):
        if not calls:
            calls.append(kwargs)
            raise OperationalError("server closed the connection unexpectedly")
        return real_outcome(**kwargs)

    with mock.patch.object(services, "electronic_send_outcome_record", outcome_fails_once), pytest.raises(
        OperationalError
    ):
        client.post(send)
    (rcpt, content), = mail_server.received
    attempt = ElectronicSend.objects.latest("pk")
    assert attempt.state == "sending" and rcpt == [ADDRESS]
    assert content.rstrip(b"\r\n") == _filed(attempt.sent_record_id).rstrip(b"\r\n")  # the message filed is the one sent
    assert email.message_from_bytes(content)["Message-ID"] == attempt.message_id
    assert not Event.objects.filter(kind="instrument.electronic_send").exists() and not _unreferenced()[1:]
    # past the wait, before anything settles it, the page already says what settling will: outcome unknown
    age()
    html = client.get(page).content.decode()
    assert 'id="send-unknown"' in html and "无法确认邮件是否发出" in html and escape(attempt.message_id) in html
    assert f'name="sent_record" value="{attempt.sent_record_id}"' in html  # its arrival may still be registered
    # the party did receive it: the photo of its screen proves the service
    arrived = timezone.localtime(timezone.now()).strftime("%Y-%m-%dT%H:%M:%S")
    with make_image(team.folder / "arrival.jpg", size=(90, 70)).open("rb") as f:
        done = client.post(
            f"/field/instruments/{order.pk}/arrived/",
            {"sent_record": attempt.sent_record_id, "arrived_at": arrived, "photo": f}, follow=True,
        ).content.decode()
    assert "已登记《责令限期整改指令书》" in done, done[:3000]
    # registering the arrival settled the attempt first (no periodic task ran): unknown, then proven by the arrival
    unknown = Event.objects.get(kind="instrument.electronic_send_unknown")
    assert (unknown.data["sent_record"], unknown.data["message_id"]) == (attempt.sent_record_id, attempt.message_id)
    service = Service.objects.get(instrument=order)
    assert attempt.sent_record_id in set(service.records.values_list("pk", flat=True))
    assert unknown.pk < Event.objects.filter(kind__startswith="matter.").latest("pk").pk
    settle(0, 0)  # nothing left to settle

"""行政复议、诉讼: registered against a decision through the page, its result recorded once, and the
复议诉讼败诉率 of the statistics computed from them; bad dates and ids change nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger.models import Event
from matters.models import Matter, Step
from supervision.models import Challenge
from supervision.statistics import compute


@pytest.fixture
def decided(desk):
    now = timezone.now()
    m = Matter.objects.create(agency=desk.agency, section=desk.section, kind="penalty", workflow="penalty",
                              state="served", title="未按规定开展安全培训", opened_by=desk.officer,
                              opened_at=now - timedelta(days=40), party=desk.party)
    m.officers.set([desk.officer])
    Step.objects.create(matter=m, transition="decide", label="作出行政处罚决定", from_state="notified",
                        to_state="decided", occurred_at=now - timedelta(days=20), acted_by=desk.officer)
    return m


def _post(client, **data):
    return client.post(reverse("supervision:challenge_act"), data, follow=True).content.decode()


@pytest.mark.django_db
def test_register_decide_and_the_lost_rate(desk, decided, login):
    today = timezone.localdate()
    client = login(desk.leader)
    base = {"action": "register", "matter": decided.pk, "kind": "litigation", "body": "抚顺市望花区人民法院"}
    page = _post(client, **base, filed_on=(today - timedelta(days=30)).isoformat())
    assert "早于执法决定日期" in page
    page = _post(client, **base, filed_on=(today + timedelta(days=1)).isoformat())
    assert "不能晚于今天" in page
    page = _post(client, **{**base, "body": "法" * 101}, filed_on=today.isoformat())
    assert "未登记" in page
    assert not Challenge.objects.exists()

    page = _post(client, **base, filed_on=(today - timedelta(days=10)).isoformat())
    assert "已登记" in page and "抚顺市望花区人民法院" in page
    challenge = Challenge.objects.get()
    assert challenge.section == desk.section and challenge.result == "pending"
    assert Event.objects.filter(kind="challenge.register", subject_id=str(challenge.pk)).exists()

    decide = {"action": "decide", "challenge": challenge.pk, "result": "revoked", "document": "（2026）辽0404行初12号"}
    assert "早于申请或起诉日期" in _post(client, **decide, decided_on=(today - timedelta(days=15)).isoformat())
    _post(client, **decide, decided_on=today.isoformat())
    challenge.refresh_from_db()
    assert challenge.lost and challenge.decided_on == today and challenge.decided_by == desk.leader
    assert "不能改写" in _post(client, **{**decide, "result": "upheld"}, decided_on=today.isoformat())
    assert Challenge.objects.get().result == "revoked"

    stats = compute(desk.agency, today.year)
    lost = stats.figure("challenge_lost")
    assert lost.cell() == 1 and lost.rate() == 100.0 and lost.rate_label == "败诉率"
    assert stats.challenge_results == [("行政诉讼", "撤销或部分撤销（含责令重作）", 1)]
    assert ("行政复议、诉讼败诉件数", "件", 1) in stats.report()


@pytest.mark.django_db
def test_only_the_keepers_register_and_ids_go_through_the_selector(desk, decided, login, make_staff):
    from org.tests.factories import StaffFactory

    today = timezone.localdate().isoformat()
    chief = login(desk.chief)  # sees the register, keeps none
    assert chief.get(reverse("supervision:challenges")).status_code == 200
    response = chief.post(reverse("supervision:challenge_act"), {"action": "register", "matter": decided.pk,
                                                                 "kind": "reconsideration", "body": "抚顺市人民政府",
                                                                 "filed_on": today})
    assert response.status_code == 403 and not Challenge.objects.exists()
    stranger = StaffFactory(roles=("leader",))  # another agency's leader
    client = login(stranger)
    response = client.post(reverse("supervision:challenge_act"), {"action": "register", "matter": decided.pk,
                                                                  "kind": "reconsideration", "body": "抚顺市人民政府",
                                                                  "filed_on": today})
    assert response.status_code == 404 and not Challenge.objects.exists()
    assert Event.objects.filter(kind__endswith="denied", subject_id=str(decided.pk), actor=stranger).exists()


@pytest.mark.django_db
def test_the_register_offers_the_decided_matters_by_name(desk, decided, login):
    """Nobody has to know a matter's number: the form lists the decided matters the viewer may open."""
    undecided = desk.close_inspection("例行检查未作决定")
    page = login(desk.leader).get(reverse("supervision:challenges")).content.decode()
    assert f'<option value="{decided.pk}">#{decided.pk} 未按规定开展安全培训（{desk.party.name}）</option>' in page
    assert f'value="{undecided.pk}"' not in page

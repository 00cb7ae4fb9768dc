"""Reminders reach the responsible officers: the bell, the daily digest and a mail the moment a
deadline becomes overdue (Django's test outbox), as each person chooses."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from supervision.models import Reminder, ReminderPreference
from supervision.reminders import reminders_run


@pytest.fixture
def closed(desk):
    desk.officer.email = "li@example.cn"
    desk.officer.save(update_fields=["email"])
    desk.partner.email = "zhang@example.cn"
    desk.partner.save(update_fields=["email"])
    ReminderPreference.objects.create(staff=desk.partner, overdue_mail=False, digest_mail=False)
    return desk.close_inspection(records=[desk.clip("现场检查.mp4")])


@pytest.mark.django_db
def test_deadline_due_then_overdue_mails_once(desk, closed):
    from matters.selectors import matter_deadlines

    (row,) = [r for r in matter_deadlines(closed) if r.rule_key == "archive.deadline_after_closing"]
    reminders_run(now=row.due - timedelta(days=40))
    assert not Reminder.objects.exists() and mail.outbox == []  # not yet within the horizon

    result = reminders_run(now=row.due - timedelta(days=1))
    assert result.opened == 2 and result.overdue_mails == 0
    mine = Reminder.objects.get(staff=desk.officer)
    assert not mine.overdue and "立卷归档" in mine.title and "条" in mine.citation
    (digest,) = mail.outbox
    assert digest.to == ["li@example.cn"] and "每日提醒" in digest.subject and "立卷归档" in digest.body
    reminders_run(now=row.due - timedelta(days=1))
    assert len(mail.outbox) == 1  # one digest a day

    result = reminders_run(now=row.due + timedelta(hours=1), digest=False)
    assert result.overdue_mails == 1
    overdue = mail.outbox[-1]
    assert overdue.to == ["li@example.cn"] and "逾期提醒" in overdue.subject and "【已逾期】" in overdue.body
    reminders_run(now=row.due + timedelta(hours=2), digest=False)
    assert len(mail.outbox) == 2  # the overdue mail is sent once; the partner chose none
    assert Reminder.objects.get(staff=desk.partner).overdue


@pytest.mark.django_db
def test_bell_page_preferences_and_command(desk, closed, login, capsys):
    from supervision.models import Finding

    now = desk.officer.date_joined
    Finding.objects.create(agency=desk.agency, section=desk.section, officer=desk.officer, kind="record",
                           subject="records.recordversion:1:late_filing", rule_key="av.ingest_deadline",
                           citation="第十四条", message="逾期存储", remedy="补写说明", opened_at=now, seen_at=now)
    call_command("supervise", "remind")
    assert "提醒：新增 1 项" in capsys.readouterr().out
    client = login(desk.officer)
    home = client.get(reverse("home")).content.decode()
    assert 'id="bell-count">1<' in home
    page = client.get(reverse("supervision:reminders")).content.decode()
    assert "逾期存储" in page and "补写说明" in page

    response = client.post(reverse("supervision:reminders"), {"digest_mail": "on", "categories": ["deadline"]})
    assert response.status_code == 302
    pref = ReminderPreference.objects.get(staff=desk.officer)
    assert not pref.in_app and pref.digest_mail and not pref.overdue_mail and pref.categories == ["deadline"]
    assert 'id="bell-count">0<' in client.get(reverse("home")).content.decode()
    bad = client.post(reverse("supervision:reminders"), {"categories": ["nonsense"]}, follow=True)
    assert "提醒设置未保存" in bad.content.decode()
    assert ReminderPreference.objects.get(staff=desk.officer).categories == ["deadline"]


@pytest.mark.django_db
def test_overdue_and_digest_by_sms_as_each_person_chooses(desk, closed, sms_outbox, login):
    from django.core.exceptions import ValidationError

    from matters.selectors import matter_deadlines
    from supervision.services import preference_set

    desk.officer.phone = "138-0000 1234"
    desk.officer.save(update_fields=["phone"])
    preference_set(acting_user=desk.officer, in_app=True, digest_mail=False, overdue_mail=False,
                   digest_sms=True, overdue_sms=True, categories=[])
    with pytest.raises(ValidationError, match="手机号码"):  # the partner has no mobile number
        preference_set(acting_user=desk.partner, in_app=True, digest_mail=False, overdue_mail=False,
                       overdue_sms=True, categories=[])
    assert not ReminderPreference.objects.get(staff=desk.partner).overdue_sms  # unchanged

    (row,) = [r for r in matter_deadlines(closed) if r.rule_key == "archive.deadline_after_closing"]
    reminders_run(now=row.due - timedelta(days=1))
    (digest,) = sms_outbox
    assert digest.to == "13800001234" and "待办事项1项" in digest.text and mail.outbox == []
    result = reminders_run(now=row.due + timedelta(hours=1), digest=False)
    assert result.overdue_sms == 1 and result.overdue_mails == 0
    overdue = sms_outbox[-1]
    assert overdue.to == "13800001234" and "已逾期" in overdue.text and len(overdue.text) <= 140
    reminders_run(now=row.due + timedelta(hours=2), digest=False)
    assert len(sms_outbox) == 2  # once per item

    client = login(desk.partner)
    page = client.post(reverse("supervision:reminders"), {"overdue_sms": "on"}, follow=True).content.decode()
    assert "提醒设置未保存" in page and "手机号码" in page


def test_the_default_sms_backend_only_logs(settings, caplog):
    from supervision import sms

    settings.ZHIFA_SMS_BACKEND = "supervision.sms.LoggingBackend"
    with caplog.at_level("INFO", logger="zhifa.sms"):
        assert sms.send_sms("+86 139 1111 2222", "测试" * 100)
        assert not sms.send_sms("024-1234567", "座机不能接收短信")
    sent = [r for r in caplog.records if "SMS to 13911112222" in r.getMessage()]
    assert len(sent) == 1 and sent[0].getMessage().endswith("…")
    assert any("not a mobile number" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_legal_reviewers_are_reminded_of_a_review_falling_due(desk, make_staff):
    from review.services import review_submit
    from review.tests.helpers import complete_submission, make_matter

    reviewer = make_staff("legal_reviewer", username="fa", name="孙法制")
    matter = make_matter(desk.agency, desk.section, desk.officer, amount=50000)
    review = review_submit(matter=matter, acting_user=desk.chief, **complete_submission(matter))
    review.refresh_from_db()
    assert review.state == "reviewing" and review.due
    reminders_run(now=review.due - timedelta(days=30), digest=False)
    assert not Reminder.objects.filter(category="review").exists()  # not yet within the horizon
    reminders_run(now=review.due + timedelta(minutes=5), digest=False)
    (mine,) = Reminder.objects.filter(category="review")
    assert mine.staff == reviewer and mine.overdue and matter.title in mine.title

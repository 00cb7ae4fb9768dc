"""The portal's 执法证 check says valid or not, and when not, every reason that holds today — never
"无效" beside the word "有效"."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(make_staff):
    return make_staff("officer", certificate=True)


def _check(client, number: str) -> str:
    page = client.get(reverse("publicity:officers"), {"number": number}).content.decode()
    card = page.split('id="check">', 1)[1].split("</div>", 1)[0]
    return re.sub(r"<[^>]+>", "", card)


def test_a_valid_certificate(officer, client):
    certificate = officer.certificates.get()
    text = _check(client, certificate.number)
    assert text.startswith("有效") and "无效" not in text and officer.name in text


def test_an_invalid_certificate_says_why_without_contradicting_itself(officer, client):
    certificate = officer.certificates.get()
    today = timezone.localdate()
    type(certificate).objects.filter(pk=certificate.pk).update(
        valid_from=today - timedelta(days=400), valid_to=today - timedelta(days=1)
    )
    text = _check(client, certificate.number)
    assert text.startswith("无效")
    assert f"已过期（有效期至 {today - timedelta(days=1):%Y-%m-%d}）" in text
    assert "有效，" not in text  # the old text: "（有效，有效期至 …）"

    type(certificate).objects.filter(pk=certificate.pk).update(
        status="suspended", valid_from=today + timedelta(days=3), valid_to=today + timedelta(days=300)
    )
    text = _check(client, certificate.number)
    assert "已暂扣" in text and f"尚未生效（有效期自 {today + timedelta(days=3):%Y-%m-%d} 起）" in text

    type(certificate).objects.filter(pk=certificate.pk).update(status="valid", valid_from=today)
    type(officer).objects.filter(pk=officer.pk).update(is_active=False)
    text = _check(client, certificate.number)
    assert text.startswith("无效") and "持证人已不在本机关执法岗位" in text and "过期" not in text

"""Every personal field of a natural person is masked wherever the public can look: the one
function that makes the public form, the portal pages, the three feeds and the reviewer's preview."""

import json

import pytest
from django.urls import reverse

from publicity.masking import (
    HIDDEN_NAME,
    PUBLIC_FIELDS,
    WITHHELD_MARK,
    mask_address,
    mask_id_number,
    mask_name,
    mask_phone,
    public_view,
)
from publicity.tests.helpers import COMPANY, PERSON, draft, publish

SECRET = "采用自主研发的XK-7型催化工艺"


def _content(party, **extra):
    return {
        "agency": "测试局",
        "category": "penalty",
        **party,
        "instrument_number": "罚〔2026〕1号",
        "cause": f"{party['party_name']}（身份证{party['party_id_number']}，住{party['party_address']}）{SECRET}未落实安全措施",
        "basis": "《安全生产法》第九十九条",
        "result": f"罚款一万元，联系电话{party['party_phone']}",
        "decided_on": "2026-09-25",
        "withheld": [SECRET],
        **extra,
    }


def test_maskers():
    assert mask_id_number("210402198807071234") == "2" + "*" * 16 + "4"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("024-5234") == "******34"
    assert mask_address("辽宁省抚顺市新抚区西一路12号") == "辽宁省抚顺市****"
    assert mask_name("王小明", "masked") == "王**"
    assert mask_name("王小明", "hidden") == HIDDEN_NAME
    assert mask_name("王小明", "full") == "王小明"


@pytest.mark.parametrize("display", ["masked", "hidden"])
def test_public_view_masks_every_personal_field_of_a_natural_person(display):
    view = public_view(_content(PERSON), name_display=display)
    assert tuple(view) == PUBLIC_FIELDS
    text = json.dumps(view, ensure_ascii=False)
    for field in ("party_name", "party_id_number", "party_phone", "party_address"):
        assert PERSON[field] not in text, field
    assert SECRET not in text and WITHHELD_MARK in view["cause"]
    assert view["party_id"] == mask_id_number(PERSON["party_id_number"])
    assert view["party_phone"] == mask_phone(PERSON["party_phone"])
    assert view["party_address"] == mask_address(PERSON["party_address"])


def test_organisations_are_named_but_trade_secrets_withheld():
    view = public_view(_content(COMPANY), name_display="masked")
    assert view["party"] == COMPANY["party_name"] and view["party_id"] == COMPANY["party_id_number"]
    assert SECRET not in json.dumps(view, ensure_ascii=False)


@pytest.mark.django_db
def test_no_personal_field_reaches_any_public_output(agency, make_staff, client):
    officer = make_staff("officer", certificate=True)
    reviewer = make_staff("legal_reviewer", username="rev")
    content = _content(PERSON)
    item = publish(
        draft(
            agency,
            officer,
            party=PERSON,
            cause=content["cause"],
            result=content["result"],
            withheld=[SECRET],
            instrument_number="抚应急罚〔2026〕5号",
        ),
        reviewer,
    )
    urls = [
        reverse("publicity:decisions"),
        reverse("publicity:decisions") + "?party=王",
        reverse("publicity:decision", kwargs={"pk": item.pk}),
        reverse("publicity:correction_new", kwargs={"pk": item.pk}),
        reverse("publicity:index"),
        reverse("publicity:feed_json"),
        reverse("publicity:feed_csv"),
        reverse("publicity:feed_atom"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "抚应急罚〔2026〕5号" in body, url
        for field in ("party_name", "party_id_number", "party_phone", "party_address"):
            assert PERSON[field] not in body, (url, field)
        assert SECRET not in body, url
    feed = client.get(reverse("publicity:feed_json")).json()
    [entry] = feed["items"]
    assert {k: entry[k] for k in PUBLIC_FIELDS} == item.public
    # The reviewer sees exactly what the public will see.
    client.force_login(reviewer)
    preview = client.get(reverse("publicity:staff_detail", kwargs={"pk": item.pk})).content.decode()
    assert PERSON["party_id_number"] not in preview and item.public["party_id"] in preview

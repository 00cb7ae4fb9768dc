import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_draft_review_publish_withdraw_through_the_api(agency, make_staff, client):
    officer = make_staff("officer", certificate=True)
    reviewer = make_staff("legal_reviewer", username="rev")
    client.force_login(officer)
    body = {
        "category": "licensing",
        "decided_on": "2026-09-25",
        "party_kind": "natural_person",
        "party_name": "王小明",
        "party_id_number": "210402198807071234",
        "instrument_number": "许〔2026〕3号",
        "cause": "申请", "basis": "依据", "result": "准予许可",
    }  # fmt: skip
    response = client.post(reverse("publication-list"), body, content_type="application/json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["public"]["party"] == "王**" and response.json()["due_on"] == "2026-10-12"
    assert client.post(reverse("publication-publish", kwargs={"pk": pk})).status_code == 403
    client.force_login(reviewer)
    refused = client.post(reverse("publication-publish", kwargs={"pk": pk}))
    assert refused.status_code == 400 and "第二十四条" in refused.json()["detail"]
    assert client.post(reverse("publication-review", kwargs={"pk": pk})).json()["state"] == "reviewed"
    assert client.post(reverse("publication-publish", kwargs={"pk": pk})).json()["state"] == "published"
    withdrawn = client.post(
        reverse("publication-withdraw", kwargs={"pk": pk}), {"reason": "许可被撤销"}, content_type="application/json"
    )
    assert withdrawn.json()["state"] == "withdrawn" and withdrawn.json()["withdrawal_note"] == "许可被撤销"

"""The read-only API of a supervising body's staff (/api/v1/supervision/body/…), with a token as any
client uses it: the same visibility as the pages, each read an `oversight.view` event in the ledger of
the agency read, refusals logged, bad input a Chinese 400 that reads nothing, and every write refused."""

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger.models import Event
from matters.models import Matter
from org.models import SupervisedAgency
from org.services import supervising_body_attach
from org.tests.factories import PASSWORD, AgencyFactory
from supervision.body_api import READ_ONLY
from supervision.tests.test_body import province  # noqa: F401 — two supervised agencies and one not

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, province):  # noqa: F811
    token = client.post(reverse("api-token"), {"username": "sfj1", "password": PASSWORD}).json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}

    def call(method, name, pk=None, **params):
        url = reverse(name, args=[pk] if pk is not None else [])
        return getattr(client, method)(url, params if method == "get" else {}, **auth)

    return call


def _added(before: int):
    return list(Event.objects.order_by("pk")[before:].values_list("kind", "agency_id", "subject_type", "subject_id"))


def test_agencies_paged_and_searched_only_those_supervised(api, province):  # noqa: F811
    body, a, b, other = province["body"], province["a"], province["b"], province["other"]
    page = api("get", "api-body-agencies").json()
    assert page["count"] == 2 and {r["id"] for r in page["results"]} == {a["agency"].pk, b["agency"].pk}
    assert {r["policy_pack"] for r in page["results"]} == {"fushun-city", "tonghua-city"}
    found = api("get", "api-body-agencies", q="局2").json()
    assert [r["name"] for r in found["results"]] == [b["agency"].name]
    assert api("get", "api-body-agencies", q=other["agency"].name).json()["count"] == 0
    # 51 more agencies: two pages of 50.
    for n in range(51):
        supervising_body_attach(body=body, agency=AgencyFactory(name=f"分页测试局{n:02d}"))
    first = api("get", "api-body-agencies").json()
    assert first["count"] == 53 and len(first["results"]) == 50 and first["next"]
    second = api("get", "api-body-agencies", page=2).json()
    assert len(second["results"]) == 3 and second["next"] is None
    assert api("get", "api-body-agencies", q="某" * 51).status_code == 400


def test_each_read_is_an_oversight_view_in_the_agency_read(api, province):  # noqa: F811
    sup = province["supervisor"]
    for w, pack_value in ((province["a"], "10000元"), (province["b"], "")):
        agency, case = w["agency"], w["case"]
        before = Event.objects.count()
        detail = api("get", "api-body-agency", agency.pk).json()
        assert detail["sections"] == ["执法监察一大队"]
        person = next(r for r in detail["review_rules"] if r["key"] == "review.fine_threshold_person")
        assert person["value"] == pack_value  # each agency's own pack (tonghua-city sets no threshold)
        if pack_value:
            assert "法制审核制度》第三条" in person["citation"]
        else:
            assert person["summary"] == "本单位政策包未规定。"

        matters = api("get", "api-body-agency-matters", agency.pk).json()
        assert [m["title"] for m in matters["results"]] == [case.title]  # the 涉密 one is not listed
        assert matters["results"][0]["state_label"]
        year = str(timezone.localdate().year)
        assert api("get", "api-body-agency-matters", agency.pk, kind="penalty", state="open",
                   year=year).json()["count"] == 1
        assert api("get", "api-body-agency-matters", agency.pk, state="closed").json()["count"] == 0
        assert api("get", "api-body-agency-matters", agency.pk, state=Matter.objects.get(pk=case.pk).state).json()["count"] == 1
        assert api("get", "api-body-agency-matters", agency.pk, kind="inspection").json()["count"] == 0
        assert api("get", "api-body-agency-matters", agency.pk, year="2001").json()["count"] == 0

        one = api("get", "api-body-matter", case.pk).json()
        assert one["agency"] == agency.pk and [s["transition"] for s in one["steps"]] == ["request_filing"]
        assert one["instruments"] and all("content" not in i for i in one["instruments"])
        assert one["reviews"] == [] and isinstance(one["deadlines"], list)
        assert all(d["citation"] for d in one["deadlines"])

        stats = api("get", "api-body-agency-statistics", agency.pk, year=year).json()
        assert stats["year"] == int(year) and stats["figures"] and stats["casereviews_passed"] == 0

        added = _added(before)
        assert {k for k, *_ in added} == {"oversight.view"}, added
        assert {ag for _, ag, *_ in added} == {agency.pk}  # in the ledger of the agency read
        assert ("oversight.view", agency.pk, "matters.matter", str(case.pk)) in added
        assert len(added) == 9  # one per request
        assert set(Event.objects.order_by("pk")[before:].values_list("actor_id", flat=True)) == {sup.pk}


def test_refusals_are_logged_and_answer_as_a_missing_id(api, province):  # noqa: F811
    sup, other, a = province["supervisor"], province["other"], province["a"]
    missing = api("get", "api-body-agency", 999999)
    assert missing.status_code == 404
    tries = [
        ("api-body-agency", other["agency"].pk, "agency.denied"),
        ("api-body-agency-matters", other["agency"].pk, "agency.denied"),
        ("api-body-agency-statistics", other["agency"].pk, "agency.denied"),
        ("api-body-matter", other["case"].pk, "matter.denied"),
        ("api-body-matter", a["secret"].pk, "matter.denied"),  # 涉密, in a supervised agency
    ]
    for name, pk, kind in tries:
        before = Event.objects.count()
        response = api("get", name, pk)
        assert response.status_code == 404, name
        assert "不在本机关的监督范围内" in response.json()["detail"]
        added = list(Event.objects.order_by("pk")[before:].values_list("kind", "actor_id"))
        assert added == [(kind, sup.pk)], (name, added)
        assert other["case"].title not in response.content.decode() and a["secret"].title not in response.content.decode()


def test_bad_input_is_a_chinese_400_and_reads_nothing(api, province):  # noqa: F811
    agency = province["a"]["agency"]
    for params, words in (
        ({"kind": "x"}, "未知的执法事项类别"),
        ({"state": "open'; drop table"}, "环节代码"),
        ({"year": "1999"}, "年度应为2000至"),
        ({"year": str(timezone.localdate().year + 1)}, "年度应为2000至"),
        ({"year": "２０２６"}, "年度应为2000至"),
        ({"q": "字" * 51}, "不能超过50个字"),
    ):
        before = Event.objects.count()
        response = api("get", "api-body-agency-matters", agency.pk, **params)
        assert response.status_code == 400 and words in response.json()["detail"], (params, response.content)
        assert Event.objects.count() == before
    assert api("get", "api-body-agency-statistics", agency.pk, year="abcd").status_code == 400


def test_writes_are_refused_and_change_nothing(api, client, province):  # noqa: F811
    a = province["a"]
    before, matters, links = Event.objects.count(), Matter.objects.count(), SupervisedAgency.objects.count()
    for name, pk in (("api-body-agencies", None), ("api-body-agency", a["agency"].pk),
                     ("api-body-agency-matters", a["agency"].pk), ("api-body-matter", a["case"].pk),
                     ("api-body-agency-statistics", a["agency"].pk)):
        for method in ("post", "put", "patch", "delete"):
            response = api(method, name, pk)
            assert response.status_code == 405 and response.json()["detail"] == READ_ONLY, (name, method)
    assert (Event.objects.count(), Matter.objects.count(), SupervisedAgency.objects.count()) == (before, matters, links)
    # The agency's own staff (even its leader) hold no 执法监督 role: refused with who may use it.
    client.force_login(a["officer"])
    response = client.get(reverse("api-body-agency-matters", args=[a["agency"].pk]))
    assert response.status_code == 403 and "执法监督（司法行政）" in response.json()["detail"]

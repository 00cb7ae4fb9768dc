"""A refusal for a missing capability: one ledger event of the viewer's agency (or body), and a
text that says who acts, by name, and what to do next; pages and the API alike."""

import pytest
from django.db import DatabaseError
from django.urls import reverse

from ledger.models import Event
from org.models import Staff
from org.permissions import REFUSAL_KIND, CapabilityDenied, capability_required

pytestmark = pytest.mark.django_db

FIRST = "您没有权限执行此操作，需要以下角色之一："


def _refusals(**filters):
    return Event.objects.filter(kind=REFUSAL_KIND, **filters)


def test_a_page_refusal_names_who_acts_and_what_to_do_and_is_logged_once(login, make_staff):
    admins = [make_staff("admin", name=name) for name in ("管理甲", "管理乙", "管理丙", "管理丁")]
    left = make_staff("admin", name="已停用")
    Staff.objects.filter(pk=left.pk).update(is_active=False)  # (no service deactivates staff yet)
    officer = make_staff("officer", name="王执法")
    client = login(officer)

    page = client.get(reverse("org:certificate_new", kwargs={"pk": admins[0].pk}))
    body = page.content.decode()
    assert page.status_code == 403
    assert f"{FIRST}系统管理员。" in body
    # Who acts, by name (three, in the order they were registered; more are "等"), and what to do next.
    assert "此项操作须由系统管理员办理，本单位可找管理甲、管理乙、管理丙等。请联系他们办理" in body
    assert "管理丁" not in body and "已停用" not in body
    assert "如您的角色或权限设置有误，请联系系统管理员（管理甲、管理乙、管理丙等）调整" in body
    assert "本次操作未作任何更改" in body and f'href="{reverse("home")}">返回工作台</a>' in body

    event = _refusals().get()
    assert (event.actor_id, event.agency_id, event.subject_type, event.subject_id) == (
        officer.pk, officer.agency_id, "org.agency", str(officer.agency_id))
    assert event.data["capability"] == "org.manage_certificates"
    assert (event.data["route"], event.data["method"], event.data["ids"]) == (
        "org:certificate_new", "GET", {"pk": str(admins[0].pk)})
    assert event.data["reason"].startswith(FIRST) and "管理甲" in event.data["reason"]

    refused = client.post(reverse("org:staff_new"), {"username": "x1", "name": "某人", "roles": ["admin"]})
    assert refused.status_code == 403 and not Staff.objects.filter(username="x1").exists()
    assert _refusals().count() == 2
    posted = _refusals().order_by("-pk").first()
    assert (posted.data["route"], posted.data["method"], posted.data["ids"]) == ("org:staff_new", "POST", {})


def test_an_api_refusal_answers_json_and_is_logged_once_and_a_metadata_probe_is_not(client, make_staff):
    make_staff("section_chief", name="李科长")
    officer = make_staff("officer")
    client.force_login(officer)

    response = client.get(reverse("staff-list"))
    assert response.status_code == 403
    answer = response.json()
    assert answer["detail"].startswith(f"{FIRST}科室负责人、法制审核人员、局领导、档案管理员、办公室、系统管理员。")
    assert "本单位可找李科长。请联系他们办理" in answer["detail"] and "本次操作未作任何更改" in answer["detail"]
    assert answer["capability"] == "org.view_staff" and answer["contacts"] == ["李科长"]
    assert answer["roles"] == ["科室负责人", "法制审核人员", "局领导", "档案管理员", "办公室", "系统管理员"]
    event = _refusals(actor=officer).get()
    assert (event.data["route"], event.data["method"], event.agency_id) == ("staff-list", "GET", officer.agency_id)

    assert client.patch(reverse("staff-detail", kwargs={"pk": officer.pk}), {}, content_type="application/json"
                        ).status_code == 403
    assert _refusals(actor=officer, data__method="PATCH", data__ids={"pk": str(officer.pk)}).count() == 1

    # A chief may list staff but not register them: DRF's OPTIONS answer asks about POST on a copy
    # of the request, which is no refusal of anything the chief did.
    chief = Staff.objects.get(name="李科长")
    client.force_login(chief)
    assert client.options(reverse("staff-list")).status_code == 200
    assert not _refusals(actor=chief).exists()
    assert client.post(reverse("staff-list"), {}).status_code == 403
    assert _refusals(actor=chief).get().data["capability"] == "org.manage_staff"


def test_anonymous_requests_are_sent_to_log_in_and_log_nothing(client, make_staff):
    make_staff("admin")
    page = client.get(reverse("org:staff_new"))
    assert page.status_code == 302 and "/login/" in page["Location"]
    assert client.get(reverse("staff-list")).status_code == 401
    assert not Event.objects.filter(kind__endswith=".denied").exists()


def test_nobody_holding_the_role_sends_the_user_to_the_administrator(login, make_staff):
    make_staff("admin", name="赵管理")
    client = login(make_staff("officer"))
    body = client.get(reverse("review:mark_major", kwargs={"matter_pk": 1})).content.decode()
    assert f"{FIRST}法制审核人员。本单位目前没有人担任上述角色，请联系系统管理员（赵管理）指定" in body
    assert _refusals().count() == 1


def test_a_refusal_still_refuses_when_the_ledger_cannot_take_it(login, make_staff, monkeypatch, caplog):
    def broken(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr("ledger.services.event_record", broken)
    client = login(make_staff("officer"))
    page = client.get(reverse("org:staff_new"))
    assert page.status_code == 403 and FIRST in page.content.decode()
    assert client.get(reverse("staff-list")).status_code == 403
    assert not _refusals().exists()
    assert "could not log the refusal of org.view_staff" in caplog.text


def test_a_supervising_bodys_staff_are_logged_under_their_body(client, make_staff):
    from org.services import supervising_body_attach, supervising_body_create, supervisor_create
    from org.tests.factories import PASSWORD

    agency = make_staff("admin").agency
    body = supervising_body_create(name="测试市司法局", jurisdiction="本级人民政府所属行政执法部门")
    supervising_body_attach(body=body, agency=agency)
    supervisor = supervisor_create(body=body, username="jiandu", name="监督员", password=PASSWORD)
    client.force_login(supervisor)
    page = client.get(reverse("org:staff_new"))
    assert page.status_code == 403
    assert "执法监督机关的人员在所监督的执法主体只能查看，不能办理" in page.content.decode()
    event = _refusals().get()
    assert (event.actor_id, event.agency_id, event.subject_type, event.subject_id) == (
        supervisor.pk, None, "org.supervisingbody", str(body.pk))
    assert event.data["body"] == body.pk


def test_one_request_refused_twice_is_logged_once(rf, make_staff):
    """A request checked again (a view handing it to another) is one refusal in the ledger."""
    officer = make_staff("officer")

    @capability_required("org.manage_staff")
    def view(request):
        raise AssertionError("never reached")

    request = rf.get(reverse("org:staff_new"))
    request.user = officer
    for _ in range(2):
        with pytest.raises(CapabilityDenied, match=FIRST):
            view(request)
    assert _refusals(actor=officer).count() == 1

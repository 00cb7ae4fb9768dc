"""Recording devices: register, issue and return through the services (each a ledger event), the
shortfall against the fushun pack's equipment standard, and the equipment page."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from equipment.choices import DeviceKind, DeviceStatus
from equipment.models import Device, DeviceIssue
from equipment.selectors import equipment_shortfall
from equipment.services import device_issue, device_register, device_return
from ledger.models import Event
from org.tests.factories import AgencyFactory, SectionFactory


@pytest.fixture
def office(make_staff):
    return make_staff("office", section=None)


def _events(device):
    return list(
        Event.objects.filter(subject_type="equipment.device", subject_id=str(device.pk)).order_by("index")
    )


def test_register_issue_and_return_are_ledger_events(agency, section, office, make_staff):
    holder = make_staff("officer", frontline=True)
    device = device_register(
        acting_user=office,
        agency=agency,
        section=section,
        kind="body_camera",
        serial=" DSJ-0001 ",
        model="X7",
    )
    assert device.serial == "DSJ-0001" and device.status == DeviceStatus.IN_SERVICE
    assert device.holder is None and str(device) == "执法记录仪 DSJ-0001"

    issue = device_issue(acting_user=office, device=device, holder=holder)
    device.refresh_from_db()
    assert device.holder == holder
    assert issue.issued_by == office and issue.returned_at is None

    with pytest.raises(ValidationError) as exc:
        device_issue(acting_user=office, device=device, holder=make_staff("officer"))
    assert exc.value.messages == [f"设备 DSJ-0001 已由{holder.name}领用，须先归还。"]
    device.refresh_from_db()
    assert device.holder == holder and DeviceIssue.objects.count() == 1

    returned = device_return(acting_user=office, device=device)
    device.refresh_from_db()
    assert returned.pk == issue.pk and returned.returned_to == office and returned.returned_at
    assert device.holder is None
    with pytest.raises(ValidationError, match="未被领用，无需归还"):
        device_return(acting_user=office, device=device)

    events = _events(device)
    assert [e.kind for e in events] == ["device.register", "device.issue", "device.return"]
    assert all(e.actor == office for e in events)
    assert events[0].data == {"serial": "DSJ-0001", "kind": "body_camera", "section": section.name}
    assert events[1].data == {"holder": holder.pk, "holder_name": holder.name}
    assert events[2].data == {"holder": holder.pk}

    # After the return it can be issued again.
    device_issue(acting_user=office, device=device, holder=holder)
    assert DeviceIssue.objects.filter(device=device).count() == 2


def test_register_refusals(agency, section, office):
    device_register(acting_user=office, agency=agency, section=section, kind="camera", serial="ZXJ-01")
    with pytest.raises(ValidationError, match="设备编号“ZXJ-01”已登记"):
        device_register(acting_user=office, agency=agency, section=section, kind="camera", serial="ZXJ-01")
    with pytest.raises(ValidationError, match="未知设备类型“drone”"):
        device_register(acting_user=office, agency=agency, section=section, kind="drone", serial="UAV-1")
    with pytest.raises(ValidationError, match="设备编号不能为空"):
        device_register(acting_user=office, agency=agency, section=section, kind="camera", serial="  ")
    elsewhere = SectionFactory(agency=AgencyFactory())
    with pytest.raises(ValidationError, match="使用科室不属于本单位"):
        device_register(acting_user=office, agency=agency, section=elsewhere, kind="camera", serial="ZXJ-02")
    assert Device.objects.count() == 1
    assert Event.objects.filter(kind="device.register").count() == 1


def test_only_the_office_manages_devices(agency, section, make_staff):
    officer = make_staff("officer")
    with pytest.raises(PermissionDenied, match="需要以下角色之一：办公室、系统管理员"):
        device_register(acting_user=officer, agency=agency, section=section, kind="camera", serial="ZXJ-01")
    device = device_register(agency=agency, section=section, kind="camera", serial="ZXJ-01")
    with pytest.raises(PermissionDenied):
        device_issue(acting_user=officer, device=device, holder=officer)
    assert Device.objects.get().holder is None


def test_a_device_out_of_service_or_a_holder_of_another_agency_is_refused(agency, section, office):
    from org.tests.factories import StaffFactory

    device = device_register(
        acting_user=office, agency=agency, section=section, kind="camera", serial="ZXJ-01"
    )
    outsider = StaffFactory(agency=AgencyFactory())
    with pytest.raises(ValidationError, match="领用人不属于本单位"):
        device_issue(acting_user=office, device=device, holder=outsider)
    Device.objects.filter(pk=device.pk).update(status=DeviceStatus.REPAIR)
    with pytest.raises(ValidationError, match="处于“维修”状态，不能发放"):
        device_issue(acting_user=office, device=device, holder=office)


def _missing(rows, section) -> dict[str, int]:
    return {row.kind: row.missing for row in rows if row.section == section}


def test_the_shortfall_against_the_fushun_standard(agency, section, office, make_staff):
    make_staff("officer", frontline=True)
    make_staff("officer", frontline=True)
    make_staff("officer")  # not frontline: needs no body camera of their own
    device_register(agency=agency, section=section, kind="body_camera", serial="DSJ-0001")
    office_section = SectionFactory(agency=agency, name="办公室", enforces=False)

    rows, rule = equipment_shortfall(viewer=office)
    assert rule.key == "equipment.standard"
    assert _missing(rows, section) == {"body_camera": 1, "camera": 1, "voice_recorder": 1, "camcorder": 1}
    body = next(r for r in rows if r.section == section and r.kind == "body_camera")
    assert (body.required, body.held, body.kind_label) == (2, 1, "执法记录仪")
    assert not [r for r in rows if r.section == office_section]

    # Devices in repair do not count; registering the missing ones closes the gap.
    device_register(agency=agency, section=section, kind="body_camera", serial="DSJ-0002")
    repair = device_register(agency=agency, section=section, kind="camera", serial="ZXJ-01")
    Device.objects.filter(pk=repair.pk).update(status=DeviceStatus.REPAIR)
    for number, kind in enumerate([DeviceKind.CAMERA, DeviceKind.VOICE_RECORDER, DeviceKind.CAMCORDER]):
        device_register(agency=agency, section=section, kind=kind, serial=f"S-{number}")
    rows, _ = equipment_shortfall(viewer=office)
    assert _missing(rows, section) == {"body_camera": 0, "camera": 0, "voice_recorder": 0, "camcorder": 0}


def test_the_equipment_page_shows_the_shortfall_and_the_rule(login, agency, section, office, make_staff):
    make_staff("officer", frontline=True)
    make_staff("officer", frontline=True)
    device_register(agency=agency, section=section, kind="body_camera", serial="DSJ-0001")

    response = login(office).get("/equipment/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "配备缺口" in html
    rows = {
        label: f"<tr><td>{section.name}</td><td>{label}</td>"
        for label in ("执法记录仪", "照相机", "录音笔", "摄像机")
    }
    for label, start in rows.items():
        assert start in html, label
    assert '<td>2</td><td>1</td><td><span class="tag bad">1</span>' in html
    assert "依据：" in html and "第七条" in html
    assert "DSJ-0001" in html and "登记设备" in html


def test_an_officer_cannot_open_the_equipment_page(login, make_staff):
    response = login(make_staff("officer")).get("/equipment/")
    assert response.status_code == 403
    assert "需要以下角色之一" in response.content.decode()


def test_registering_and_issuing_from_the_page(login, agency, section, office, make_staff):
    holder = make_staff("officer", frontline=True)
    client = login(office)
    response = client.post(
        "/equipment/",
        {"kind": "body_camera", "serial": "DSJ-0100", "model": "X7", "section": section.pk},
        follow=True,
    )
    assert "已登记 执法记录仪 DSJ-0100。" in response.content.decode()
    device = Device.objects.get(serial="DSJ-0100")
    duplicate = client.post(
        "/equipment/", {"kind": "camera", "serial": "DSJ-0100", "section": section.pk}
    ).content.decode()
    assert "设备编号“DSJ-0100”已登记。" in duplicate

    issued = client.post(f"/equipment/{device.pk}/issue/", {"holder": holder.pk}, follow=True)
    assert f"执法记录仪 DSJ-0100 已发放给{holder.name}。" in issued.content.decode()
    again = client.post(f"/equipment/{device.pk}/issue/", {"holder": holder.pk}, follow=True)
    assert "须先归还" in again.content.decode()
    returned = client.post(f"/equipment/{device.pk}/return/", follow=True)
    assert "执法记录仪 DSJ-0100 已归还。" in returned.content.decode()
    assert [e.kind for e in _events(device)] == ["device.register", "device.issue", "device.return"]


@pytest.mark.parametrize("pack", ["tonghua-city", "pingdingshan-hitech"])
def test_a_pack_without_an_equipment_standard_gets_a_page_that_says_so(login, agency, office, pack):
    agency.policy_pack = pack
    agency.save(update_fields=["policy_pack"])
    assert equipment_shortfall(viewer=office) == ([], None)
    response = login(office).get("/equipment/")
    assert response.status_code == 200
    assert "未规定音像记录设备的配备标准" in response.content.decode()

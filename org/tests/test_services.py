from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from ledger.models import Event
from ledger.services import event_record
from org.choices import CertificateStatus
from org.models import EnforcementCertificate, Staff
from org.selectors import officer_list_assignable
from org.services import (
    NotAssignable,
    certificate_issue,
    certificate_set_status,
    officer_check_assignable,
    staff_create,
    staff_set_roles,
)
from org.tests.factories import AgencyFactory, CertificateFactory, StaffFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 24)


def test_staff_create_writes_the_person_roles_and_a_ledger_event(agency, section, make_staff):
    admin = make_staff("admin")
    staff = staff_create(
        acting_user=admin,
        agency=agency,
        section=section,
        username="zhang",
        name="张三",
        roles=["officer", "section_chief"],
        password="pw-123456789",
    )
    assert staff.role_codes == {"officer", "section_chief"}
    assert staff.check_password("pw-123456789")
    event = Event.objects.get(kind="staff.create", subject_id=str(staff.pk))
    assert event.actor == admin and event.agency == agency
    assert event.data["roles"] == ["officer", "section_chief"]


def test_unknown_role_is_refused_in_chinese_and_nothing_is_stored(agency, make_staff):
    admin = make_staff("admin")
    people, events = Staff.objects.count(), Event.objects.count()
    with pytest.raises(ValidationError) as exc:
        staff_create(
            acting_user=admin, agency=agency, username="x", name="某人", roles=["officer", "janitor"]
        )
    assert "未知角色：janitor" in exc.value.messages[0]
    assert (Staff.objects.count(), Event.objects.count()) == (people, events)


def test_duplicate_username_and_empty_name_are_refused(agency, make_staff):
    admin = make_staff("admin", username="admin1")
    with pytest.raises(ValidationError, match="登录名“admin1”已被使用"):
        staff_create(acting_user=admin, agency=agency, username="admin1", name="重名", roles=[])
    with pytest.raises(ValidationError, match="姓名不能为空"):
        staff_create(acting_user=admin, agency=agency, username="new", name="  ", roles=[])


def test_only_an_administrator_of_the_same_agency_creates_staff(agency, make_staff):
    chief = make_staff("section_chief", "leader")
    with pytest.raises(PermissionDenied, match="系统管理员"):
        staff_create(acting_user=chief, agency=agency, username="y", name="某人", roles=["officer"])
    foreign_admin = StaffFactory(roles=("admin",))  # its own agency
    with pytest.raises(PermissionDenied, match="本单位"):
        staff_create(acting_user=foreign_admin, agency=agency, username="z", name="某人", roles=["officer"])
    assert not Staff.objects.filter(username__in=["y", "z"]).exists()


def test_section_must_belong_to_the_agency(agency, make_staff):
    admin = make_staff("admin")
    other_section = StaffFactory(roles=()).agency.sections.create(name="外单位科室")
    with pytest.raises(ValidationError, match="不属于该执法主体"):
        staff_create(
            acting_user=admin, agency=agency, section=other_section, username="q", name="某人", roles=[]
        )


def test_set_roles_replaces_roles_and_records_before_and_after(make_staff):
    admin = make_staff("admin")
    officer = make_staff("officer")
    staff_set_roles(acting_user=admin, staff=officer, roles=["officer", "archivist"])
    assert Staff.objects.get(pk=officer.pk).role_codes == {"officer", "archivist"}
    event = Event.objects.filter(kind="staff.roles").latest("id")
    assert event.data == {"before": ["officer"], "after": ["archivist", "officer"]}
    with pytest.raises(ValidationError, match="未知角色"):
        staff_set_roles(acting_user=admin, staff=officer, roles=["boss"])
    assert Staff.objects.get(pk=officer.pk).role_codes == {"officer", "archivist"}


def test_certificate_with_end_before_start_is_refused(make_staff):
    admin, officer = make_staff("admin"), make_staff("officer")
    with pytest.raises(ValidationError) as exc:
        certificate_issue(
            acting_user=admin,
            staff=officer,
            number="A1",
            category="安全生产",
            region="抚顺市",
            valid_from=date(2026, 5, 1),
            valid_to=date(2026, 4, 30),
        )
    assert exc.value.messages == ["有效期止（2026-04-30）早于有效期起（2026-05-01），请核对。"]
    assert not EnforcementCertificate.objects.exists()


def test_the_database_also_refuses_a_reversed_period(make_staff):
    officer = make_staff("officer")
    with pytest.raises(IntegrityError), transaction.atomic():
        EnforcementCertificate.objects.create(
            staff=officer,
            number="B1",
            category="c",
            region="r",
            valid_from=date(2026, 5, 1),
            valid_to=date(2026, 1, 1),
        )


def test_duplicate_certificate_number_is_refused(make_staff):
    admin, first, second = make_staff("admin"), make_staff("officer"), make_staff("officer")
    CertificateFactory(staff=first, number="21040001")
    with pytest.raises(ValidationError, match="执法证编号“21040001”已被登记"):
        certificate_issue(
            acting_user=admin,
            staff=second,
            number="21040001",
            category="安全生产",
            region="r",
            valid_from=TODAY,
            valid_to=TODAY,
        )
    assert EnforcementCertificate.objects.filter(number="21040001").get().staff == first


def test_officer_with_a_valid_certificate_can_be_assigned(make_staff):
    officer = make_staff("officer")
    certificate = CertificateFactory(staff=officer, valid_from=TODAY - timedelta(days=10), valid_to=TODAY)
    assert officer_check_assignable(staff=officer, on=TODAY) == certificate


def test_expired_certificate_cannot_be_assigned_work(make_staff):
    officer = make_staff("officer", name="孙浩")
    CertificateFactory(staff=officer, number="E1", valid_from=date(2021, 1, 1), valid_to=date(2026, 10, 31))
    with pytest.raises(NotAssignable) as exc:
        officer_check_assignable(staff=officer, on=TODAY)
    assert exc.value.messages == ["孙浩的执法证（E1）已于2026年10月31日过期，不能承担执法工作。"]
    # The day it was still valid, the same officer could be assigned.
    assert officer_check_assignable(staff=officer, on=date(2026, 10, 31)).number == "E1"


def test_not_officer_no_certificate_and_suspended_certificate(make_staff):
    clerk = make_staff("office", name="冯丽")
    with pytest.raises(NotAssignable, match="冯丽不是执法人员"):
        officer_check_assignable(staff=clerk, on=TODAY)
    officer = make_staff("officer", name="刘洋")
    with pytest.raises(NotAssignable, match="没有登记执法证"):
        officer_check_assignable(staff=officer, on=TODAY)
    admin = make_staff("admin")
    certificate = CertificateFactory(
        staff=officer, number="S1", valid_from=TODAY, valid_to=TODAY + timedelta(days=100)
    )
    certificate_set_status(
        acting_user=admin, certificate=certificate, status=CertificateStatus.SUSPENDED, reason="停职审查"
    )
    with pytest.raises(NotAssignable, match="已暂扣"):
        officer_check_assignable(staff=officer, on=TODAY)
    with pytest.raises(ValidationError, match="理由"):
        certificate_set_status(
            acting_user=admin, certificate=certificate, status=CertificateStatus.VALID, reason=" "
        )


def test_assignable_list_leaves_out_expired_and_other_agencies(make_staff):
    chief = make_staff("section_chief")
    valid = make_staff("officer")
    CertificateFactory(staff=valid, valid_from=TODAY, valid_to=TODAY + timedelta(days=1))
    expired = make_staff("officer")
    CertificateFactory(staff=expired, valid_from=date(2020, 1, 1), valid_to=TODAY - timedelta(days=1))
    CertificateFactory(
        staff=StaffFactory(roles=("officer",)), valid_from=TODAY, valid_to=TODAY
    )  # another agency
    assert list(officer_list_assignable(viewer=chief, on=TODAY)) == [valid]


@pytest.mark.django_db(transaction=True)
def test_ledger_event_needs_the_change_transaction():
    agency = AgencyFactory()
    with pytest.raises(RuntimeError):
        event_record(kind="x", subject=agency)
    assert not Event.objects.filter(kind="x").exists()


def test_a_failed_service_leaves_no_event(agency, make_staff):
    admin = make_staff("admin")
    before = Event.objects.count()
    with pytest.raises(ValidationError):
        certificate_issue(
            acting_user=admin,
            staff=admin,
            number="",
            category="c",
            region="r",
            valid_from=TODAY,
            valid_to=TODAY,
        )
    assert Event.objects.count() == before


def test_agency_needs_a_valid_credit_code_and_a_known_pack():
    with pytest.raises(ValidationError, match="统一社会信用代码"):
        AgencyFactory(uscc="11210400MB0123450")
    with pytest.raises(ValidationError, match="政策包“nowhere”不存在"):
        AgencyFactory(policy_pack="nowhere")

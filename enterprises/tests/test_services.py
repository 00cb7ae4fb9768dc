import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from enterprises.models import Enterprise
from enterprises.selectors import enterprise_list
from enterprises.services import enterprise_create, enterprise_update
from ledger.models import Event
from org.tests.factories import StaffFactory, make_uscc

pytestmark = pytest.mark.django_db

CODE = make_uscc("91210403MA0000042")


def create(staff, **fields):
    defaults = {"name": "抚顺测试化工有限公司", "legal_representative": "赵某", "industry": "危险化学品生产"}
    return enterprise_create(acting_user=staff, agency=staff.agency, uscc=CODE, **(defaults | fields))


def test_officer_registers_an_enterprise(make_staff, section):
    officer = make_staff("officer")
    enterprise = create(officer, supervising_section=section, risk_level="major", major_hazard_source=True)
    assert enterprise.kind == "legal_person" and enterprise.uscc == CODE
    assert Event.objects.filter(
        kind="enterprise.create", subject_id=str(enterprise.pk), actor=officer
    ).exists()


def test_invalid_credit_code_is_refused_in_chinese(make_staff):
    officer = make_staff("officer")
    with pytest.raises(ValidationError, match="统一社会信用代码“91210403MA00000420”无效"):
        enterprise_create(
            acting_user=officer,
            agency=officer.agency,
            uscc="91210403MA00000420",
            name="x",
            legal_representative="y",
            industry="z",
        )
    assert not Enterprise.objects.exists()


def test_duplicate_and_missing_fields(make_staff):
    officer = make_staff("officer")
    create(officer)
    with pytest.raises(ValidationError, match="已登记"):
        create(officer)
    with pytest.raises(ValidationError, match="法定代表人不能为空"):
        enterprise_create(
            acting_user=officer,
            agency=officer.agency,
            uscc=make_uscc("91210403MA0000043"),
            name="x",
            legal_representative=" ",
            industry="z",
        )


def test_reviewers_may_look_but_not_register(make_staff):
    reviewer = make_staff("legal_reviewer")
    with pytest.raises(PermissionDenied):
        create(reviewer)
    create(make_staff("officer"))
    assert enterprise_list(viewer=reviewer).count() == 1


def test_update_keeps_the_old_values_in_the_ledger(make_staff):
    officer = make_staff("officer")
    enterprise = create(officer)
    enterprise_update(acting_user=officer, enterprise=enterprise, industry="危险化学品储存", employees=40)
    event = Event.objects.get(kind="enterprise.update")
    assert event.data == {
        "industry": {"before": "危险化学品生产", "after": "危险化学品储存"},
        "employees": {"before": None, "after": 40},
    }
    with pytest.raises(ValidationError, match="不可修改"):
        enterprise_update(acting_user=officer, enterprise=enterprise, id_number="X")


def test_each_agency_sees_its_own_register(make_staff):
    officer = make_staff("officer")
    create(officer)
    stranger = StaffFactory(roles=("officer",))
    assert enterprise_list(viewer=stranger).count() == 0
    assert enterprise_list(viewer=officer, query="化工").count() == 1
    assert enterprise_list(viewer=officer, query=CODE[:8]).count() == 1

from datetime import date

import pytest
from stdnum.cn import uscc

from org.choices import Role
from org.models import Agency
from org.services import NotAssignable, officer_check_assignable
from zhifa.demo import demo_load

pytestmark = pytest.mark.django_db


def test_demo_agency_has_every_role_and_twenty_enterprises():
    agency = demo_load(today=date(2026, 11, 24))
    assert agency.name == "抚顺市应急管理局" and agency.policy_pack == "fushun-city"
    staff = list(agency.staff.all())
    assert 10 <= len(staff) <= 14
    assert set().union(*(s.role_codes for s in staff)) == set(Role.values) - {Role.OVERSIGHT}
    enterprises = list(agency.parties.all())
    assert len(enterprises) == 20 and all(uscc.is_valid(e.id_number) for e in enterprises)
    assert agency.sections.filter(name="政策法规科").exists()


def test_demo_shows_an_officer_who_cannot_be_assigned():
    agency = demo_load(today=date(2026, 11, 24))
    officer1 = agency.staff.get(username="officer1")
    assert officer_check_assignable(staff=officer1, on=date(2026, 11, 24))
    with pytest.raises(NotAssignable, match="过期"):
        officer_check_assignable(staff=agency.staff.get(username="officer4"), on=date(2026, 11, 24))


def test_loading_twice_changes_nothing():
    first = demo_load()
    second = demo_load()
    assert first == second and Agency.objects.count() == 1 and first.staff.count() == second.staff.count()


def test_demo_has_a_supervising_body_whose_supervisor_reads_the_agency(client):
    from org.models import Staff

    agency = demo_load(today=date(2026, 11, 24))
    supervisor = Staff.objects.get(username="sfj")
    assert supervisor.agency_id is None and supervisor.role_codes == {Role.OVERSIGHT}
    assert list(supervisor.supervising_body.agencies.all()) == [agency]
    client.force_login(supervisor)
    page = client.get("/", follow=True)
    assert page.status_code == 200 and agency.name in page.content.decode()

import pytest
from django.conf import settings

from org.tests.factories import PASSWORD, AgencyFactory, CertificateFactory, SectionFactory, StaffFactory


@pytest.fixture
def agency(db):
    return AgencyFactory()


@pytest.fixture
def section(agency):
    return SectionFactory(agency=agency, name="执法监察一大队")


@pytest.fixture
def make_staff(agency, section):
    """make_staff("officer", "section_chief", certificate=True) → a logged-in-able member of staff."""

    def make(*roles, certificate=False, **kwargs):
        kwargs.setdefault("agency", agency)
        kwargs.setdefault("section", section)
        staff = StaffFactory(roles=roles, **kwargs)
        if certificate:
            CertificateFactory(staff=staff)
        return staff

    return make


@pytest.fixture
def login(client):
    def do(staff):
        assert client.login(username=staff.username, password=PASSWORD)
        return client

    return do


def pytest_configure(config):
    # Tests create many accounts; the production hasher is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

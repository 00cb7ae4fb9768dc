"""Factories for tests: they build through the services, so data is what the product would make."""

from datetime import date, timedelta

import factory
from stdnum.cn import uscc as uscc_check

from org.models import Agency, EnforcementCertificate, Section, Staff
from org.services import agency_create, certificate_issue, section_create, staff_create

PASSWORD = "test-pass-2026"


def make_uscc(prefix17: str) -> str:
    return prefix17 + uscc_check.calc_check_digit(prefix17)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"测试市应急管理局{n}")
    uscc = factory.Sequence(lambda n: make_uscc(f"11210400MB{n:07d}"))
    jurisdiction = "测试市行政区域"
    policy_pack = "fushun-city"
    instrument_prefix = "测应急"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return agency_create(**kwargs)


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"执法监察{n}大队")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return section_create(**kwargs)


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff

    agency = factory.SubFactory(AgencyFactory)
    section = None
    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"测试人员{n}")
    password = PASSWORD
    roles = ("officer",)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return staff_create(**kwargs)


class CertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnforcementCertificate

    staff = factory.SubFactory(StaffFactory)
    number = factory.Sequence(lambda n: f"2104009{n:04d}")
    category = "安全生产"
    region = "测试市"
    valid_from = factory.LazyFunction(lambda: date.today() - timedelta(days=30))
    valid_to = factory.LazyFunction(lambda: date.today() + timedelta(days=365))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return certificate_issue(**kwargs)


def staff_maker(agency, section):
    """make(*roles, certificate=False, **fields) → a member of staff of `agency`, in `section` unless
    given another; with a valid 执法证 when `certificate` (the root conftest's `make_staff`)."""

    def make(*roles, certificate=False, **kwargs):
        kwargs.setdefault("agency", agency)
        kwargs.setdefault("section", section)
        staff = StaffFactory(roles=roles, **kwargs)
        if certificate:
            CertificateFactory(staff=staff)
        return staff

    return make

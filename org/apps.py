from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = "机构与人员"

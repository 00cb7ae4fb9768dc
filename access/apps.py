from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "记录信息调阅"

    def ready(self) -> None:
        from access.selectors import grant_label
        from records import grants

        grants.register(grant_label)

from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "记录信息调阅"

    def ready(self) -> None:
        from access.selectors import grant_label, kept_records, refusal_advice
        from archive.retention import register_keeper
        from records import grants

        grants.register(grant_label)
        grants.register_adviser(refusal_advice)  # the refusal page's next step: a 调阅 request
        register_keeper(kept_records)  # long-term keeping means 永久 in the archive

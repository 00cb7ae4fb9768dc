from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = "执法记录库"

    def ready(self):
        from ledger.verify import EXTRA_CHECKS
        from records.verify import verify_blobs

        if verify_blobs not in EXTRA_CHECKS:
            EXTRA_CHECKS.append(verify_blobs)

from django.apps import AppConfig
from django.core import checks


def _check_witnesses(app_configs, **kwargs):
    """A mistyped witness list stops start-up rather than silently leaving checkpoints unwitnessed."""
    from django.core.exceptions import ImproperlyConfigured

    from ledger.keys import configured_witnesses

    try:
        configured_witnesses()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="ledger.E001")]
    return []


def _check_integration(app_configs, **kwargs):
    """A mistyped ZHIFA_LEDGER_INTEGRATE would leave events unnumbered with no worker running."""
    from django.conf import settings

    if settings.ZHIFA_LEDGER_INTEGRATE not in ("commit", "worker"):
        return [
            checks.Error(
                f"ZHIFA_LEDGER_INTEGRATE 应为 commit 或 worker，现为“{settings.ZHIFA_LEDGER_INTEGRATE}”",
                id="ledger.E002",
            )
        ]
    return []


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = "执法记录台账"

    def ready(self):
        checks.register(_check_witnesses)
        checks.register(_check_integration)

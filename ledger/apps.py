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


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = "执法记录台账"

    def ready(self):
        checks.register(_check_witnesses)

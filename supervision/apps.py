from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = "执法监督"

    def ready(self):
        from supervision.statistics import connect_signals

        connect_signals()

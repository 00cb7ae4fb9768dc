from django.apps import AppConfig


class MattersConfig(AppConfig):
    name = "matters"
    verbose_name = "执法事项"

    def ready(self):
        from matters.queues import matter_queues
        from org import queues

        queues.register(matter_queues)

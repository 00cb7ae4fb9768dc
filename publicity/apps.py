from django.apps import AppConfig


class PublicityConfig(AppConfig):
    name = "publicity"
    verbose_name = "行政执法公示"

    def ready(self):
        from publicity import hooks

        hooks.register()
        from org import queues
        from publicity.queues import publicity_queues

        queues.register(publicity_queues)

from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "立卷归档"

    def ready(self):
        from archive import hooks
        from archive.queues import archive_queues
        from org import queues

        hooks.register()
        queues.register(archive_queues)

from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "field"
    verbose_name = "掌上执法"

    def ready(self) -> None:
        from field import hooks

        hooks.register()

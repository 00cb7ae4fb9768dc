from django.apps import AppConfig


class MattersConfig(AppConfig):
    name = "matters"
    verbose_name = "执法事项"

from django.apps import AppConfig


class ZhifaConfig(AppConfig):
    name = "zhifa"
    verbose_name = "行政执法平台"

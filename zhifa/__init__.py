# The Celery application loads with Django, so that queued tasks use its configuration.
from .celery import app as celery_app

__all__ = ("celery_app",)

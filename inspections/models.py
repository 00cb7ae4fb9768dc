"""双随机一公开 models."""

from django.db import models  # noqa: F401

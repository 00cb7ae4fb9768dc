"""行政执法公示 models."""

from django.db import models  # noqa: F401

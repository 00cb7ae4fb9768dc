"""法制审核 models."""

from django.db import models  # noqa: F401

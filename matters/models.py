"""执法事项 models."""

from django.db import models  # noqa: F401

"""Settings for bench/reads.py: the product's settings, plus the bench's two extra routes."""

from zhifa.settings import *  # noqa: F403

ROOT_URLCONF = "reads_urls"
DEBUG = False

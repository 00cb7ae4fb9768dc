"""Settings for bench/portal.py: the product's settings, plus one bare view to compare against."""

from zhifa.settings import *  # noqa: F403

ROOT_URLCONF = "portal_urls"
DEBUG = False

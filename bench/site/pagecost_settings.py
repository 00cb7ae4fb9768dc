"""Settings for bench/pagecost.py: the product's settings, plus the baselines of the other benches."""

from zhifa.settings import *  # noqa: F403

ROOT_URLCONF = "pagecost_urls"
DEBUG = False

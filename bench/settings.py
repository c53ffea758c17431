"""The site's settings plus one URL: the floor view the benchmarks compare against."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

from archive.tests.conftest import desk  # noqa: F401 — the archive's ready-made agency

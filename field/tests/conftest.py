from matters.tests.conftest import Team, team  # noqa: F401  (the 通化 agency fixture, shared)

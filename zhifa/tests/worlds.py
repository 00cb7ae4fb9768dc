"""A module's shared world: built once, in a transaction rolled back when the module ends."""

import contextlib

from django.db import transaction


@contextlib.contextmanager
def rolled_back_module(django_db_blocker):
    """Open a transaction for a module's world, marked as a test's (as Django's TestCase marks its
    class-level one), so the ledger numbers events at once as after a commit; roll it back at the
    end, or if building the world fails. Each test then runs in a savepoint inside it (pytest-django's
    per-test transaction, nested), so the module's tests must not be transactional. Build the world
    under `django_db_blocker.unblock()`."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer._from_testcase = True
        outer.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)

"""The public portal's reads from a PostgreSQL streaming replica (README "Several machines").

With DATABASE_REPLICA_URL set, settings add the database alias `replica` (a hot standby of the
primary) and this router, and the portal's read-only views (and the statistics' read of their
cells) are wrapped in `replica_reads`: inside one, reads of REPLICA_MODELS go to the replica.
Everything else stays on the primary: every write (`db_for_write`), every read inside a transaction
(a service reading what it is about to change, a ledger event), sessions and log-ins, the staff
pages (but for the statistics' cells), every logged read, and migrations (`allow_migrate`). Without DATABASE_REPLICA_URL there is
neither alias nor router, and `replica_reads` calls the view as it is: every query goes to the
primary.

Replication lag: a newly published item appears on the portal once the replica has replayed it (a
moment later). A take-down must never keep showing: the portal's selectors let the replica find
the items (the costly search) and then ask the primary, by primary key, which of them are still on
display in the version read (publicity.selectors._shown_now), so a withdrawn or corrected item is
gone the moment its change commits, however far behind the replica is. The take-down does not wait
for the replica: a replica that is down or far behind would otherwise hold up the agency's staff.

A replica that cannot be reached (stopped, restarting, a network fault) or that fails a query (a
standby may cancel a read that conflicts with replay) is no reason for an error page: the view is
answered from the primary, with a warning in the log, and the replica is left alone for
DATABASE_REPLICA_RETRY_SECONDS before it is tried again.
"""

import functools
import logging
import time
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

PRIMARY = DEFAULT_DB_ALIAS
REPLICA = "replica"
# What a portal page may read from the replica: the published items and the agencies, sections
# and powers shown with them; and the statistics' cells once the replica has replayed their build
# (supervision.statistics). Sessions, staff, rules and the ledger are always read on the primary.
REPLICA_MODELS = frozenset({
    "publicity.Publication", "publicity.EnforcementPower", "org.Agency", "org.Section",
    "supervision.StatCell", "supervision.StatBuild",
})

_reading: ContextVar[bool] = ContextVar("zhifa_replica_reads", default=False)
_down_until = [0.0]  # monotonic time before which a failed replica is not tried again


def retry_seconds() -> float:
    return float(getattr(settings, "DATABASE_REPLICA_RETRY_SECONDS", 30))


def replica_configured() -> bool:
    return bool(getattr(settings, "ZHIFA_READ_REPLICA", False))


def replica_reset() -> None:
    """Forget an earlier failure: the next portal read tries the replica again."""
    _down_until[0] = 0.0


def _replica_failed(error: Exception) -> None:
    logger.warning("read replica unavailable, portal reads go to the primary for %.0fs: %s", retry_seconds(), error)
    _down_until[0] = time.monotonic() + retry_seconds()
    connection = connections[REPLICA]
    try:
        connection.close()
    except (OperationalError, InterfaceError):
        connection.connection = None  # its socket is gone already


def _replica_ready() -> bool:
    """Whether this call may read from the replica: configured, not failed lately, outside a
    transaction on the primary (whose reads stay there), and it answers."""
    if not replica_configured() or time.monotonic() < _down_until[0] or connections[PRIMARY].in_atomic_block:
        return False
    try:
        connections[REPLICA].ensure_connection()
    except (OperationalError, InterfaceError) as error:
        _replica_failed(error)
        return False
    return True


def replica_reads(view):
    """Decorate a read-only portal view (or any function that only reads): its reads of
    REPLICA_MODELS go to the replica when there is one and it answers; when it fails meanwhile, the
    view is answered again from the primary. Only for what writes nothing (a rerun must change
    nothing)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not _replica_ready():
            return view(*args, **kwargs)
        token = _reading.set(True)
        try:
            return view(*args, **kwargs)
        except (OperationalError, InterfaceError) as error:
            if not connections[REPLICA].errors_occurred:
                raise  # the primary's error: answering again would not help
            _replica_failed(error)
        finally:
            _reading.reset(token)
        return view(*args, **kwargs)

    return wrapper


def reading_replica() -> bool:
    """Whether reads now go to the replica (a portal view with a working replica, outside any
    transaction on the primary)."""
    return _reading.get() and not connections[PRIMARY].in_atomic_block


class ReplicaRouter:
    """Django's database router (settings.DATABASE_ROUTERS)."""

    def db_for_read(self, model, **hints):
        if model._meta.label in REPLICA_MODELS and reading_replica():
            return REPLICA
        return PRIMARY if replica_configured() else None

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: an object read there may refer to one read here.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA else None

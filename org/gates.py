"""Checks other apps add to assigning an officer, without org importing them.

An app registers in its AppConfig.ready():

    gates.register_assignment(check, excluded)
        # check(staff, on) -> str | None: why `staff` may not take enforcement work on `on`
        # excluded(agency_id, on) -> set of staff pks that may not (for the lists officers are picked from)

`supervision` uses this for 执法过错 measures that stop an officer's enforcement work for a period
(003 附件3 第十八条（三）).
"""

from collections.abc import Callable
from datetime import date

_checks: list[tuple[Callable, Callable]] = []


def register_assignment(check: Callable, excluded: Callable) -> None:
    if (check, excluded) not in _checks:
        _checks.append((check, excluded))


def assignment_refusal(staff, on: date) -> str | None:
    for check, _ in _checks:
        if message := check(staff, on):
            return message
    return None


def assignment_excluded(agency_id: int, on: date) -> set[int]:
    out: set[int] = set()
    for _, excluded in _checks:
        out |= set(excluded(agency_id, on))
    return out

"""Checks other apps add to a matter's transitions, without matters importing them.

An app registers in its AppConfig.ready():

    gates.register("decide", check)        # check(matter) -> str | None (a Chinese refusal)
    gates.register_after("decide", hook)   # hook(matter, step), runs in the step's transaction

`review` uses this to stop a decision that needs legal review until review has passed, and to
file the decision back to the review section (备案).
"""

from collections import defaultdict
from collections.abc import Callable

_checks: dict[str, list[Callable]] = defaultdict(list)
_after: dict[str, list[Callable]] = defaultdict(list)


def register(transition: str, check: Callable) -> None:
    if check not in _checks[transition]:
        _checks[transition].append(check)


def register_after(transition: str, hook: Callable) -> None:
    if hook not in _after[transition]:
        _after[transition].append(hook)


def refusals(matter, transition: str) -> list[str]:
    return [msg for check in _checks[transition] if (msg := check(matter))]


def run_after(matter, transition: str, step) -> None:
    for hook in _after[transition]:
        hook(matter, step)


# Notices a matter page shows at once: a gate that will stop a step, with the page that unblocks it.
_notices: list[Callable] = []


def register_notice(notice: Callable) -> None:
    """notice(matter, viewer) -> list of {"text", "url", "link"} (empty when nothing to say)."""
    if notice not in _notices:
        _notices.append(notice)


def notices(matter, viewer) -> list[dict]:
    return [n for notice in _notices for n in notice(matter, viewer)]

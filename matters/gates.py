"""Checks other apps add to a matter's transitions, without matters importing them.

An app registers in its AppConfig.ready():

    gates.register("decide", check)        # check(matter) -> str | None (a Chinese refusal)
    gates.register_after("decide", hook)   # hook(matter, step), runs in the step's transaction

`review` uses this to stop a decision that needs legal review until review has passed, and to
file the decision back to the review section (备案).

A tracked deadline that no step of the matter meets (the archiving deadline, met by sealing the
case file in `archive`) is decided by the app that owns it:

    gates.register_met("archive.deadline_after_closing", met)   # met(matters) -> set of matter pks

What a later stage keeps of a closed matter (its case file in `archive`) is linked from the matter
page by the app that owns it:

    gates.register_links(provider)   # provider(matter, viewer) -> [{label, url, open}]
"""

from collections import defaultdict
from collections.abc import Callable

_checks: dict[str, list[Callable]] = defaultdict(list)
_after: dict[str, list[Callable]] = defaultdict(list)
_met: dict[str, Callable] = {}
_links: list[Callable] = []


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


def register_met(rule_key: str, check: Callable) -> None:
    _met[rule_key] = check


def met_elsewhere(rule_key: str, matters) -> set | None:
    """The pks of `matters` whose deadline `rule_key` another app counts as met; None when no app
    decides it (the matter's own steps do)."""
    check = _met.get(rule_key)
    return None if check is None else set(check(matters))


# Notices a matter page shows at once: a gate that will stop a step, with the page that unblocks it.
_notices: list[Callable] = []


def register_notice(notice: Callable) -> None:
    """notice(matter, viewer) -> list of {"text", "url", "link"} (empty when nothing to say)."""
    if notice not in _notices:
        _notices.append(notice)


def notices(matter, viewer) -> list[dict]:
    return [n for notice in _notices for n in notice(matter, viewer)]
def register_links(provider: Callable) -> None:
    if provider not in _links:
        _links.append(provider)


def links(matter, viewer) -> list[dict]:
    return [link for provider in _links for link in provider(matter, viewer)]

"""Reads of policy packs: the loaded packs, and an agency's rules on a date."""

import os
import time
from datetime import date
from functools import lru_cache

from django.conf import settings
from django.utils import timezone

from org.permissions import require
from policy.models import RuleSupplement
from policy.packs import SUPPLEMENT, Citation, Document, PackSet, ResolvedPack, Rule
from utilities.memo import per_request


@lru_cache(maxsize=4)
def _packset(directory: str, fingerprint: tuple) -> PackSet:
    return PackSet(directory)


PACKS_RECHECK_SECONDS = 1.0  # how often a process looks whether a pack file changed
_fingerprints: dict[str, tuple[float, tuple]] = {}


def _fingerprint(directory: str) -> tuple:
    """The pack files' names, sizes and modification times, looked at most once a second."""
    now = time.monotonic()
    checked = _fingerprints.get(directory)
    if checked and now - checked[0] < PACKS_RECHECK_SECONDS:
        return checked[1]
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
        fingerprint = tuple((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in entries if e.is_file())
    except FileNotFoundError:
        fingerprint = ()
    _fingerprints[directory] = (now, fingerprint)
    return fingerprint


def packset() -> PackSet:
    """All packs, parsed once per process and again when a pack file changes (name, size or
    modification time), so that a request never re-reads the files."""
    directory = str(settings.ZHIFA_POLICY_PACKS_DIR)
    return _packset(directory, _fingerprint(directory))


def supplement_rule(supplement: RuleSupplement) -> Rule:
    """An agency supplement as a rule, cited by its adopting document's title, 文号 and article."""
    document = Document(
        id=f"supplement-{supplement.pk}",
        title=f"{supplement.document_title}（{supplement.document_number}）",
        file=None,
        start="",
        number=supplement.document_number,
    )
    return Rule(
        key=supplement.key,
        value=supplement.value,
        unit=supplement.unit,
        citations=(Citation(document, supplement.article),),
        summary=supplement.summary,
        pack_id=SUPPLEMENT,
        effective_from=supplement.effective_from,
        supplement_id=supplement.pk,
    )


def _overlay(resolved: ResolvedPack, agency) -> ResolvedPack:
    """The agency's supplements in force on the day replace the pack's rules (the latest wins)."""
    in_force = RuleSupplement.objects.filter(agency_id=agency.pk, effective_from__lte=resolved.on)
    for supplement in in_force.order_by("key", "effective_from", "id"):
        resolved.rules[supplement.key] = supplement_rule(supplement)
    return resolved


def agency_rules(agency, on: date | None = None) -> ResolvedPack:
    """The rules that bind `agency` on `on` (today by default): its pack, overlaid by the
    supplements it adopted that are in force that day. For code; no viewer check."""
    on = on or timezone.localdate()
    # Within a GET request, read once however many parts of the page ask (utilities.memo).
    return per_request(
        ("policy.agency_rules", agency.pk, agency.policy_pack, on),
        lambda: _overlay(packset().resolve(agency.policy_pack, on), agency),
    )


def rules_for_viewer(*, viewer, on: date | None = None, pack_id: str | None = None) -> ResolvedPack:
    """What a page or API shows: the viewer's agency rules (with its supplements), or any pack as
    shipped for those who may see all."""
    require(viewer, "policy.view")
    on = on or timezone.localdate()
    if pack_id and pack_id != viewer.agency.policy_pack:
        require(viewer, "policy.view_all_packs")
        return packset().resolve(pack_id, on)
    return agency_rules(viewer.agency, on)


def supplement_list(*, viewer) -> list[RuleSupplement]:
    """The supplements the viewer's agency adopted, newest first."""
    require(viewer, "policy.view")
    return list(
        RuleSupplement.objects.filter(agency_id=viewer.agency_id)
        .select_related("entered_by")
        .order_by("-effective_from", "-id")
    )


def rule_histories(*, resolved: ResolvedPack, agency=None) -> dict[str, list[Rule]]:
    """Per key: every version that the pack chain sets (any date) and the agency's supplements,
    oldest first; what the rules page shows under each rule."""
    history: dict[str, list[Rule]] = {}
    for pack in resolved.chain:
        for rule in pack.rules:
            history.setdefault(rule.key, []).append(rule)
    if agency is not None:
        for supplement in RuleSupplement.objects.filter(agency_id=agency.pk):
            history.setdefault(supplement.key, []).append(supplement_rule(supplement))
    for versions in history.values():
        versions.sort(key=lambda r: (r.effective_from or date.min, r.supplement_id or 0))
    return history

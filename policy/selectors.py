"""Reads of policy packs: the loaded packs, and an agency's rules on a date."""

from datetime import date
from functools import lru_cache

from django.conf import settings
from django.utils import timezone

from org.permissions import require
from policy.models import RuleSupplement
from policy.packs import SUPPLEMENT, Citation, Document, PackSet, ResolvedPack, Rule


@lru_cache(maxsize=1)
def _packset(directory: str) -> PackSet:
    return PackSet(directory)


def packset() -> PackSet:
    """All packs, loaded once per process (packs are files shipped with a release)."""
    return _packset(str(settings.ZHIFA_POLICY_PACKS_DIR))


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
    return _overlay(packset().resolve(agency.policy_pack, on), agency)


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

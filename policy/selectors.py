"""Reads of policy packs: the loaded packs, and an agency's rules on a date."""

from datetime import date
from functools import lru_cache

from django.conf import settings
from django.utils import timezone

from org.permissions import require
from policy.packs import PackSet, ResolvedPack


@lru_cache(maxsize=1)
def _packset(directory: str) -> PackSet:
    return PackSet(directory)


def packset() -> PackSet:
    """All packs, loaded once per process (packs are files shipped with a release)."""
    return _packset(str(settings.ZHIFA_POLICY_PACKS_DIR))


def agency_rules(agency, on: date | None = None) -> ResolvedPack:
    """The rules that bind `agency` on `on` (today by default). For code; no viewer check."""
    return packset().resolve(agency.policy_pack, on or timezone.localdate())


def rules_for_viewer(*, viewer, on: date | None = None, pack_id: str | None = None) -> ResolvedPack:
    """What a page or API shows: the viewer's agency pack, or any pack for those who may see all."""
    require(viewer, "policy.view")
    if pack_id and pack_id != viewer.agency.policy_pack:
        require(viewer, "policy.view_all_packs")
    return packset().resolve(pack_id or viewer.agency.policy_pack, on or timezone.localdate())

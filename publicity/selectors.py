"""Reads of the publicity app. Portal reads are public and serve only `public` (the masked form);
staff reads take the viewer."""

from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from ledger.refusals import object_visible
from org.models import Agency, EnforcementCertificate
from org.permissions import require
from publicity.choices import CorrectionState, PublicationState
from publicity.models import BasisChange, CorrectionRequest, EnforcementPower, Publication

S = PublicationState
PAGE_SIZE = 20


def _on_display(today: date) -> Q:
    # An item comes down by itself the day after its display period ends, whether or not
    # publications_expire has run yet (000 第二十二条).
    return Q(state=S.PUBLISHED) & (Q(display_until__isnull=True) | Q(display_until__gte=today))


def portal_publications(*, today: date | None = None) -> QuerySet[Publication]:
    """Everything the public may see now: published, reviewed, within the display period."""
    return Publication.objects.filter(_on_display(today or timezone.localdate()))


@dataclass
class SearchPage:
    items: list
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _single_name(table: str, prefix: str) -> str | None:
    """The one published name the prefix matches, when all its matches share it
    (two index probes: the least and the greatest name in the prefix's range)."""
    if connection.vendor == "sqlite":
        condition, params = "party_public >= %s AND party_public < %s", [prefix, prefix + "\U0010ffff"]
    else:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        condition, params = "party_public LIKE %s ESCAPE '\\'", [escaped + "%"]
    # Two ordered LIMIT 1 probes: each is one index seek (MIN and MAX together would scan the range).
    probe = f"SELECT party_public FROM {table} WHERE state = %s AND {condition} ORDER BY party_public"  # noqa: S608
    sql = f"SELECT ({probe} LIMIT 1), ({probe} DESC LIMIT 1)"
    with connection.cursor() as cursor:
        cursor.execute(sql, [S.PUBLISHED, *params, S.PUBLISHED, *params])
        low, high = cursor.fetchone()
    return low if low is not None and low == high else None


def portal_search(
    *,
    party: str = "",
    category: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    number: str = "",
    agency: int | None = None,
    page: int = 1,
    rows: bool = False,
) -> SearchPage:
    """The portal's decision search: by party (prefix of the published name), type, date and
    文书号, newest first. Items are dicts (id, public, published_at), or with `rows` the ready rows
    of the portal's list (Publication.row_html).

    It stays fast with millions of items: the page's ids come from a covering index alone (a filter
    that matches many rows sorts only small keys), the outer query reads just those rows, and there
    is no total count. The SQL is written out rather than built by the ORM, whose query
    construction cost more than the query itself on this, the portal's hot path.
    """
    ops = connection.ops
    where = ["state = %s", "(display_until IS NULL OR display_until >= %s)"]
    params: list = [S.PUBLISHED, ops.adapt_datefield_value(timezone.localdate())]
    party = (party or "").strip()
    table = connection.ops.quote_name(Publication._meta.db_table)
    exact = _single_name(table, party) if party else None
    if exact is not None:
        # Every match has one published name (a surname matches "王**", a masked person): equality
        # walks the index in date order, where a range would sort every match.
        where.append("party_public = %s")
        params.append(exact)
    elif party and connection.vendor == "sqlite":
        # A prefix range instead of LIKE, so that SQLite uses the index (code-point order).
        where.append("party_public >= %s AND party_public < %s")
        params += [party, party + "\U0010ffff"]
    elif party:
        # Elsewhere the collation may not order by code point: LIKE is right whatever it is.
        escaped = party.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("party_public LIKE %s ESCAPE '\\'")
        params.append(escaped + "%")
    if category:
        where.append("category = %s")
        params.append(category)
    if date_from:
        where.append("decided_on >= %s")
        params.append(ops.adapt_datefield_value(date_from))
    if date_to:
        where.append("decided_on <= %s")
        params.append(ops.adapt_datefield_value(date_to))
    if number:
        where.append("instrument_number = %s")
        params.append(number.strip())
    if agency:
        where.append("agency_id = %s")
        params.append(int(agency))
    page = max(1, min(int(page or 1), 500))
    params += [PAGE_SIZE + 1, (page - 1) * PAGE_SIZE]
    columns = "row_html" if rows else "id"
    # Only fixed fragments are joined into the text; every value is a parameter.
    sql = (
        f"SELECT {columns} FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {' AND '.join(where)} "  # noqa: S608
        f"ORDER BY decided_on DESC, id DESC LIMIT %s OFFSET %s) ORDER BY decided_on DESC, id DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = [r[0] for r in cursor.fetchall()]
    if rows:
        items = found
    else:
        by_id = {r["id"]: r for r in Publication.objects.filter(id__in=found).values("id", "public", "published_at")}
        items = [by_id[pk] for pk in found]
    return SearchPage(items=items[:PAGE_SIZE], page=page, has_next=len(items) > PAGE_SIZE)


def portal_publication(*, pk: int) -> Publication:
    """One item for the portal: on display, or withdrawn (then only its note is shown)."""
    today = timezone.localdate()
    return Publication.objects.filter(_on_display(today) | Q(state=S.WITHDRAWN, published_at__isnull=False)).get(
        pk=pk
    )


def portal_withdrawals(*, limit: int = 50) -> QuerySet[Publication]:
    """Withdrawal notices: decisions that were public and were withdrawn (行政处罚法第四十八条)."""
    return Publication.objects.filter(state=S.WITHDRAWN, published_at__isnull=False).order_by("-taken_down_at")[
        :limit
    ]


def portal_feed(*, since=None, limit: int = 500) -> QuerySet[Publication]:
    """What the provincial platform pulls (执法决定实时推送): newest publications first."""
    qs = portal_publications()
    if since:
        qs = qs.filter(published_at__gt=since)
    return qs.order_by("-published_at", "-id")[:limit]


def portal_agencies() -> QuerySet[Agency]:
    return Agency.objects.order_by("id")


def portal_officers(*, agency: Agency, query: str = "") -> QuerySet[EnforcementCertificate]:
    """Officers with a valid 执法证 (000 第六条第二款): name, unit, category, region, validity,
    number; searchable by name or certificate number."""
    today = timezone.localdate()
    qs = (
        EnforcementCertificate.objects.valid_on(today)
        .filter(staff__agency=agency, staff__is_active=True)
        .select_related("staff", "staff__section")
        .order_by("staff__section_id", "staff__name")
    )
    query = (query or "").strip()
    if query:
        qs = qs.filter(Q(number=query) | Q(staff__name__contains=query))
    return qs


def certificate_check(*, number: str) -> EnforcementCertificate | None:
    """Any certificate with this number, valid or not, so a citizen can see which it is."""
    return (
        EnforcementCertificate.objects.select_related("staff", "staff__agency", "staff__section")
        .filter(number=(number or "").strip())
        .first()
    )


def portal_powers(*, agency: Agency) -> QuerySet[EnforcementPower]:
    return EnforcementPower.objects.filter(agency=agency).select_related("section")


def correction_by_token(*, token: str) -> CorrectionRequest:
    return CorrectionRequest.objects.select_related("publication").get(token=token)


# --- staff -----------------------------------------------------------------------------------------


def publication_list(*, viewer, state: str = "") -> QuerySet[Publication]:
    require(viewer, "publicity.view")
    qs = Publication.objects.filter(agency_id=viewer.agency_id)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-created_at", "-id")


def publication_get(*, viewer, pk: int) -> Publication:
    return object_visible(publication_list(viewer=viewer), pk=pk, viewer=viewer, missing="没有该公示信息。")


def correction_get(*, viewer, pk: int) -> CorrectionRequest:
    """A correction request about one of the viewer's agency's publications."""
    require(viewer, "publicity.view")
    qs = CorrectionRequest.objects.filter(publication__agency_id=viewer.agency_id).select_related("publication")
    return object_visible(qs, pk=pk, viewer=viewer, missing="没有该更正申请。")


def publications_overdue(*, viewer, today: date | None = None) -> QuerySet[Publication]:
    """Decisions not yet published after their deadline (000 第二十一条), for the dashboard."""
    require(viewer, "publicity.view")
    today = today or timezone.localdate()
    return Publication.objects.filter(
        agency_id=viewer.agency_id, state__in=(S.DRAFT, S.REVIEWED), due_on__lt=today
    ).order_by("due_on")


def corrections_pending(*, viewer) -> QuerySet[CorrectionRequest]:
    require(viewer, "publicity.view")
    return CorrectionRequest.objects.filter(
        publication__agency_id=viewer.agency_id, state=CorrectionState.PENDING
    ).select_related("publication")


def basis_changes_open(*, viewer) -> list[tuple[BasisChange, list[Publication], list[EnforcementPower]]]:
    """Changes of law or duty not yet resolved, each with the published items and powers citing it
    (000 第十九条)."""
    require(viewer, "publicity.view")
    result = []
    for change in BasisChange.objects.filter(agency_id=viewer.agency_id, resolved_at__isnull=True):
        items = list(
            portal_publications().filter(agency_id=viewer.agency_id, content__basis__icontains=change.basis)[:200]
        )
        powers = list(EnforcementPower.objects.filter(agency_id=viewer.agency_id, basis__contains=change.basis))
        result.append((change, items, powers))
    return result

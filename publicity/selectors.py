"""Reads of the publicity app. Portal reads are public and serve only `public` (the masked form);
staff reads take the viewer."""

import json
import math
from dataclasses import dataclass
from datetime import date

from django.db import connections, router
from django.db.models import Q, QuerySet
from django.utils import timezone

from ledger.refusals import object_visible
from org.choices import CertificateStatus
from org.models import Agency, EnforcementCertificate
from org.permissions import require
from publicity.choices import CorrectionState, PublicationState
from publicity.models import BasisChange, CorrectionRequest, EnforcementPower, Publication
from utilities.dbrouter import PRIMARY, reading_replica

S = PublicationState
PAGE_SIZE = 20


def _on_display(today: date) -> Q:
    # An item comes down by itself the day after its display period ends, whether or not
    # publications_expire has run yet (000 第二十二条).
    return Q(state=S.PUBLISHED) & (Q(display_until__isnull=True) | Q(display_until__gte=today))


def portal_publications(*, today: date | None = None) -> QuerySet[Publication]:
    """Everything the public may see now: published, reviewed, within the display period."""
    return Publication.objects.filter(_on_display(today or timezone.localdate()))


def _shown_now(found: list[tuple[int, int]]) -> set[int]:
    """Of the (id, version) pairs a portal page read, the ids the primary shows now in that version.

    A portal page may read from the streaming replica (utilities.dbrouter), which replays the
    primary's changes a moment later. A published item may appear late, but a take-down (撤回 or
    撤下, 行政处罚法第四十八条第二款, 000 第二十二条) or a correction (第二十五条) takes effect when
    it commits: the replica finds the items, one look-up by primary key on the primary says which of
    them are still on display unchanged. Without a replica every id is kept, with no query."""
    if not found or not reading_replica():
        return {pk for pk, _version in found}
    pks = [pk for pk, _version in found]
    current = set(portal_publications().using(PRIMARY).filter(pk__in=pks).values_list("pk", "version"))
    return {pk for pk, version in found if (pk, version) in current}


@dataclass
class SearchPage:
    items: list
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


# A search term this long or longer goes through the trigram index (SQLite FTS5, PostgreSQL pg_trgm);
# shorter ones have no trigram and are matched by walking the date-ordered index.
TRIGRAM = 3
FTS_TABLE = "publicity_search"
# A term with more trigram matches than this is common enough that walking the date order fills a
# page sooner than sorting its matches: with k of n rows matching, the walk reads about 21·n/k index
# entries and the sort looks up k, so they cost the same near k = √(n/2) as measured with
# bench/portal.py (README "Performance"). None: from the table's size.
FTS_CAP: int | None = None
# Party names have their own trigram index whose rowid is the portal's order (migration 0004):
# julian day × DAY_KEY + id, so its matches come newest first and a page stops after its rows.
PARTY_FTS = "publicity_party_search"
DAY_KEY = 1 << 40
JULIAN_OFFSET = 1721424  # CAST(julianday(d) AS INTEGER) - d.toordinal()


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _fts_phrase(column: str, term: str) -> str:
    quoted = term.replace('"', '""')
    return f'{column} : "{quoted}"'


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
    """The portal's decision search: by any part of the published party name and of the 文书号, by
    type and date, newest first. Items are dicts (id, public, published_at), or with `rows` the ready
    rows of the portal's list (Publication.row_html).

    It stays fast with millions of items: the page's ids come from a covering index alone, the outer
    query reads just those rows, and there is no total count. A term of three characters or more is
    looked up in a trigram index: a part of a name on SQLite in the index kept in date order, which
    gives its page without sorting; a part of a 文书号 in the other, whose matches are sorted unless
    there are so many that walking the date order fills the page sooner. A shorter term (a surname,
    "罚决") walks the date order, quick for a common term, the whole index for a rare one (measured in
    README "Performance"). The SQL is written out rather than built by the ORM, whose query construction
    cost more than the query itself on this, the portal's hot path.
    """
    conn = connections[router.db_for_read(Publication)]  # the replica on a portal page that has one
    replica = reading_replica()
    ops = conn.ops
    where = ["state = %s", "(display_until IS NULL OR display_until >= %s)"]
    params: list = [S.PUBLISHED, ops.adapt_datefield_value(timezone.localdate())]
    if category:
        where.append("category = %s")
        params.append(category)
    if date_from:
        where.append("decided_on >= %s")
        params.append(ops.adapt_datefield_value(date_from))
    if date_to:
        where.append("decided_on <= %s")
        params.append(ops.adapt_datefield_value(date_to))
    if agency:
        where.append("agency_id = %s")
        params.append(int(agency))
    terms = [(c, t.strip()) for c, t in (("party_public", party or ""), ("instrument_number", number or "")) if t.strip()]
    like = [f"{column} LIKE %s ESCAPE '\\'" for column, _ in terms]
    like_params = [_like(term) for _, term in terms]
    page = max(1, min(int(page or 1), 500))
    offset = (page - 1) * PAGE_SIZE
    table = ops.quote_name(Publication._meta.db_table)
    order = "ORDER BY decided_on DESC, id DESC"
    # From a replica, each row's version too, for the primary's check (_shown_now).
    columns = ("id, version, " if replica else "") + ("row_html" if rows else "id")
    # Only fixed fragments are joined into the text; every value is a parameter.
    text_where, text_params = list(like), list(like_params)
    source = table
    long_terms = [(c, t) for c, t in terms if len(t) >= TRIGRAM]
    if conn.vendor == "sqlite" and long_terms and long_terms[0][0] == "party_public":
        # The party index yields matches in date order: join each to its row, newest first, until the
        # page is full (the number, if any, filters them). A date range bounds the index's rowids.
        # (The index has one column, party_public: every other name is the publication's.)
        text_where = [like[i] for i, (c, _) in enumerate(terms) if c != "party_public"]
        text_params = [like_params[i] for i, (c, _) in enumerate(terms) if c != "party_public"]
        bounds, bound_params = [], []
        if date_from:
            bounds.append(f"{PARTY_FTS}.rowid >= %s")
            bound_params.append((date_from.toordinal() + JULIAN_OFFSET) * DAY_KEY)
        if date_to:
            bounds.append(f"{PARTY_FTS}.rowid < %s")
            bound_params.append((date_to.toordinal() + JULIAN_OFFSET + 1) * DAY_KEY)
        conditions = [f"{PARTY_FTS} MATCH %s", *bounds, *where, *text_where]
        sql = (
            f"SELECT {columns} FROM {table} WHERE id IN (SELECT {table}.id FROM {PARTY_FTS} "  # noqa: S608
            f"CROSS JOIN {table} ON {table}.id = {PARTY_FTS}.rowid %% {DAY_KEY} WHERE {' AND '.join(conditions)} "
            f"ORDER BY {PARTY_FTS}.rowid DESC LIMIT %s OFFSET %s) {order}"
        )
        query = [_fts_phrase("party_public", long_terms[0][1]), *bound_params, *params, *text_params]
        return _search_page(conn, sql, [*query, PAGE_SIZE + 1, offset], page=page, rows=rows, replica=replica)
    if long_terms and conn.vendor == "sqlite":
        # FTS5's trigram index (migration publicity 0003) gives the matches of the long terms (a
        # phrase of trigrams is the substring, ignoring ASCII case as LIKE does). A term with more
        # than FTS_CAP matches is common: walking the date order fills its page sooner than sorting.
        phrase = " AND ".join(_fts_phrase(c, t) for c, t in long_terms)
        with conn.cursor() as cursor:
            cap = FTS_CAP
            if cap is None:
                cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608 (one seek: the rowid's end)
                cap = max(100, math.isqrt((cursor.fetchone()[0] or 0) // 2))
            cursor.execute(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT %s", [phrase, cap + 1])  # noqa: S608
            candidates = [r[0] for r in cursor.fetchall()]
        if len(candidates) <= cap:
            short = [i for i, (_, t) in enumerate(terms) if len(t) < TRIGRAM]
            text_where = [like[i] for i in short] + ["id IN (SELECT value FROM json_each(%s))"]
            text_params = [like_params[i] for i in short] + [json.dumps(candidates)]
            source = f"{table} INDEXED BY pub_id_sort"
    # PostgreSQL answers the LIKE of a long term from its pg_trgm GIN indexes (same migration) or,
    # for a common one, walks the date order, as its planner judges; a term of one or two characters
    # walks the date order on both.
    sql = (
        f"SELECT {columns} FROM {table} WHERE id IN (SELECT id FROM {source} "  # noqa: S608
        f"WHERE {' AND '.join(where + text_where)} {order} LIMIT %s OFFSET %s) {order}"
    )
    return _search_page(conn, sql, [*params, *text_params, PAGE_SIZE + 1, offset], page=page, rows=rows, replica=replica)


def _search_page(conn, sql: str, params: list, *, page: int, rows: bool, replica: bool) -> SearchPage:
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    has_next = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    if replica:  # keep what the primary shows now
        shown = _shown_now([(r[0], r[1]) for r in found])
        found = [r[2:] for r in found if r[0] in shown]
    found = [r[0] for r in found]
    if rows:
        items = found
    else:
        by_id = {r["id"]: r for r in Publication.objects.filter(id__in=found).values("id", "public", "published_at")}
        items = [by_id[pk] for pk in found]
    return SearchPage(items=items, page=page, has_next=has_next)


def portal_publication(*, pk: int) -> Publication:
    """One item for the portal: on display, or withdrawn (then only its note is shown). Read on the
    replica, it is checked on the primary (one look-up by primary key): when the replica has not yet
    replayed the item's last change (published, corrected, taken down), the primary's row is shown."""
    today = timezone.localdate()
    qs = Publication.objects.filter(_on_display(today) | Q(state=S.WITHDRAWN, published_at__isnull=False))
    if not reading_replica():
        return qs.get(pk=pk)
    item = qs.filter(pk=pk).first()
    current = Publication.objects.using(PRIMARY).filter(pk=pk).values_list("state", "version").first()
    if item is None or (item.state, item.version) != current:
        return qs.using(PRIMARY).get(pk=pk)
    return item


def portal_withdrawals(*, limit: int = 50) -> QuerySet[Publication]:
    """Withdrawal notices: decisions that were public and were withdrawn (行政处罚法第四十八条)."""
    return Publication.objects.filter(state=S.WITHDRAWN, published_at__isnull=False).order_by("-taken_down_at")[
        :limit
    ]


def portal_feed(*, since=None, limit: int = 500) -> QuerySet[Publication] | list[Publication]:
    """What the provincial platform pulls (执法决定实时推送): newest publications first."""
    qs = portal_publications()
    if since:
        qs = qs.filter(published_at__gt=since)
    qs = qs.order_by("-published_at", "-id")[:limit]
    if not reading_replica():
        return qs
    items = list(qs)
    shown = _shown_now([(item.pk, item.version) for item in items])
    return [item for item in items if item.pk in shown]


def portal_agencies() -> QuerySet[Agency]:
    return Agency.objects.order_by("id")


def portal_agency_directory(*, query: str = "") -> QuerySet[Agency]:
    """The directory of every agency on the install (a province: thousands), by any part of the
    name, 简称 or 管辖范围."""
    qs = Agency.objects.only("pk", "name", "short_name", "jurisdiction").order_by("name", "pk")
    query = (query or "").strip()[:50]
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(short_name__icontains=query) | Q(jurisdiction__icontains=query))
    return qs


def portal_agency_lookup(*, raw: str) -> tuple[int | None, str]:
    """An agency of the directory from a search form's `agency` value: (id, name), or (None, "") for
    anything that is not the id of an agency on the install."""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):  # an id column holds 18 digits
        return None, ""
    name = Agency.objects.filter(pk=int(raw)).values_list("name", flat=True).first()
    return (int(raw), name) if name is not None else (None, "")


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


@dataclass
class CertificateStanding:
    valid: bool
    reasons: list[str]  # why it is not valid today, each in the citizen's words


def certificate_standing(certificate: EnforcementCertificate, *, today: date | None = None) -> CertificateStanding:
    """Whether a 执法证 lets its holder enforce today and, if not, every reason why: its status,
    its period (not yet begun or ended) and whether its holder still works here."""
    today = today or timezone.localdate()
    reasons = []
    if certificate.status != CertificateStatus.VALID:
        reasons.append(f"已{certificate.get_status_display()}")
    if certificate.valid_from > today:
        reasons.append(f"尚未生效（有效期自 {certificate.valid_from:%Y-%m-%d} 起）")
    if certificate.valid_to < today:
        reasons.append(f"已过期（有效期至 {certificate.valid_to:%Y-%m-%d}）")
    if not certificate.staff.is_active:
        reasons.append("持证人已不在本机关执法岗位")
    return CertificateStanding(valid=not reasons, reasons=reasons)


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

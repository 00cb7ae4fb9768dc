"""Who may do what: one table of capabilities to roles, used by every view, API endpoint and service.

A view that does not declare a capability (or `public`) fails the test that walks every URL.
"""

import logging
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseNotAllowed
from rest_framework.permissions import BasePermission

from org.choices import Role

# Every role of an agency's staff; a supervising body's staff (OVERSIGHT) hold none of its capabilities.
ALL_STAFF = frozenset(Role.values) - {Role.OVERSIGHT}
R = Role
logger = logging.getLogger("zhifa.permissions")

CAPABILITIES: dict[str, frozenset[str]] = {
    "home.view": ALL_STAFF,
    "org.view_agency": ALL_STAFF,
    "org.view_staff": frozenset(
        {R.SECTION_CHIEF, R.LEADER, R.LEGAL_REVIEWER, R.OFFICE, R.ARCHIVIST, R.ADMIN}
    ),
    "org.manage_staff": frozenset({R.ADMIN}),
    "org.manage_certificates": frozenset({R.ADMIN}),
    "org.assign_officers": frozenset({R.SECTION_CHIEF, R.LEADER, R.ADMIN}),
    "policy.view": ALL_STAFF,
    "policy.view_all_packs": frozenset({R.LEGAL_REVIEWER, R.LEADER, R.ADMIN}),
    "calendar.view": ALL_STAFF,
    "calendar.manage": frozenset({R.ADMIN}),
    "enterprises.view": frozenset(
        {R.OFFICER, R.SECTION_CHIEF, R.LEADER, R.LEGAL_REVIEWER, R.ARCHIVIST, R.ADMIN}
    ),
    "enterprises.manage": frozenset({R.OFFICER, R.SECTION_CHIEF, R.ADMIN}),
    "equipment.view": frozenset({R.OFFICE, R.SECTION_CHIEF, R.LEADER, R.ADMIN}),
    "equipment.manage": frozenset({R.OFFICE, R.ADMIN}),
    "records.view": frozenset({R.OFFICER, R.SECTION_CHIEF, R.LEADER, R.ARCHIVIST, R.LEGAL_REVIEWER, R.ADMIN}),
    "records.file": frozenset({R.OFFICER, R.SECTION_CHIEF}),
    "records.ingest_dock": frozenset({R.OFFICER, R.SECTION_CHIEF, R.OFFICE}),
    "ledger.view": ALL_STAFF,
    # --- matters ---
    "matters.view": frozenset({R.OFFICER, R.SECTION_CHIEF, R.LEADER, R.LEGAL_REVIEWER, R.ARCHIVIST, R.ADMIN}),
    "matters.act": frozenset({R.OFFICER, R.SECTION_CHIEF}),
    "matters.approve": frozenset({R.SECTION_CHIEF, R.LEADER}),
    "matters.decide": frozenset({R.LEADER}),
    # --- review ---
    "review.view": frozenset({R.LEGAL_REVIEWER, R.SECTION_CHIEF, R.LEADER, R.ADMIN}),
    "review.submit": frozenset({R.OFFICER, R.SECTION_CHIEF}),
    "review.conduct": frozenset({R.LEGAL_REVIEWER}),
    "review.approve": frozenset({R.LEADER}),
    "review.reassign": frozenset({R.SECTION_CHIEF, R.LEADER}),
    # --- publicity ---
    "publicity.view": ALL_STAFF,
    "publicity.draft": frozenset({R.OFFICER, R.SECTION_CHIEF, R.LEADER, R.OFFICE, R.LEGAL_REVIEWER, R.ADMIN}),
    "publicity.review": frozenset({R.LEGAL_REVIEWER, R.LEADER}),
    # --- inspections ---
    "inspections.view": ALL_STAFF,
    "inspections.draw": frozenset({R.SECTION_CHIEF, R.LEADER, R.ADMIN}),
    "inspections.record": frozenset({R.OFFICER, R.SECTION_CHIEF}),
    # --- access (记录信息调阅) ---
    "access.request": frozenset({R.OFFICER, R.SECTION_CHIEF, R.LEADER, R.LEGAL_REVIEWER, R.ARCHIVIST}),
    "access.approve": frozenset({R.SECTION_CHIEF, R.LEADER}),
    "access.manage": frozenset({R.ARCHIVIST}),
    "access.register": frozenset({R.ARCHIVIST, R.SECTION_CHIEF, R.LEADER, R.LEGAL_REVIEWER}),
    "access.sign_disc_log": frozenset({R.LEADER}),
    "access.keep_mark": frozenset({R.SECTION_CHIEF, R.LEADER, R.ARCHIVIST}),
    # --- archive ---
    "archive.view": frozenset({R.ARCHIVIST, R.LEADER, R.SECTION_CHIEF, R.ADMIN}),
    "archive.manage": frozenset({R.ARCHIVIST}),
    "archive.approve_disposal": frozenset({R.LEADER}),
    "archive.hold": frozenset({R.ARCHIVIST, R.LEGAL_REVIEWER, R.LEADER}),
    "archive.collect": frozenset({R.OFFICER, R.SECTION_CHIEF, R.ARCHIVIST}),
    # the holds page: those who see the archive, and those who place and release holds (法制审核人员 for 复议、诉讼)
    "archive.view_holds": frozenset({R.ARCHIVIST, R.LEADER, R.SECTION_CHIEF, R.ADMIN, R.LEGAL_REVIEWER}),
    # --- policy supplements (本单位补充规定) ---
    "policy.manage_supplements": frozenset({R.ADMIN}),
    # --- supervision (执法监督); the pack's supervision.supervisor_role narrows who supervises ---
    "supervision.view": frozenset({R.LEGAL_REVIEWER, R.OFFICE, R.LEADER, R.SECTION_CHIEF, R.ADMIN}),
    "supervision.scan": frozenset({R.LEGAL_REVIEWER, R.OFFICE, R.LEADER}),
    "supervision.remind": ALL_STAFF,
    # AV spot checks, 案卷评查 and 执法过错 (003 附件3 第十六至十八条); the leader reads them
    "supervision.check": frozenset({R.LEGAL_REVIEWER, R.OFFICE}),
    "supervision.challenge": frozenset({R.LEGAL_REVIEWER, R.OFFICE, R.LEADER}),
    # 司法行政部门's 执法监督 across the agencies its body supervises: read-only, every read logged
    "supervision.oversee": frozenset({R.OVERSIGHT}),
}


def roles_for(capability: str) -> frozenset[str]:
    return CAPABILITIES[capability]


def can(user, capability: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.has_role(*CAPABILITIES[capability])


def denial_message(capability: str) -> str:
    labels = [Role(code).label for code in Role.values if code in CAPABILITIES[capability]]
    return "您没有权限执行此操作，需要以下角色之一：" + "、".join(labels) + "。"


def require(user, capability: str, *, agency=None) -> None:
    """Raise PermissionDenied (with a Chinese message) unless `user` may use `capability`.

    `user=None` is the system itself (commands run on the server by its operator).
    With `agency`, the user must also belong to that agency.
    """
    if user is None:
        return
    if not can(user, capability):
        raise PermissionDenied(denial_message(capability))
    if agency is not None and user.agency_id != getattr(agency, "pk", agency):
        raise PermissionDenied("您只能处理本单位的数据。")


def capability_required(
    capability: str, *, methods: tuple[str, ...] = ("GET", "POST"), refusal: tuple[str, str] | None = None
):
    """View decorator: log-in and the capability, else a clear Chinese refusal (nothing changes),
    logged in the ledger (capability_refusal). `refusal` is (event kind, text with {who}) for a page
    whose refusal says more than the general one (the archive's 登记保全 and 存储载体)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            if not can(request.user, capability):
                text, _ = capability_refusal(request, capability, refusal=refusal)
                raise CapabilityDenied(text, capability)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods, "不支持该请求方式。")
            return view(request, *args, **kwargs)

        wrapped.capability = capability
        wrapped.methods = methods
        wrapped.refusal_kind = refusal[0] if refusal else REFUSAL_KIND
        return wrapped

    return decorator


def public(view):
    """Mark a view as open to anyone (log-in page, the public portal)."""
    view.public = True
    return view


class HasCapability(BasePermission):
    """DRF permission: the view's `capability` (or `capabilities[action or method]`) decides."""

    message = "您没有权限执行此操作。"

    def has_permission(self, request, view) -> bool:
        capability = capability_for(view, request)
        if can(request.user, capability):
            return True
        if not request.user.is_authenticated:
            self.message = "请先登录。"
            return False
        # DRF's OPTIONS metadata and browsable forms ask about other methods on a copy of the
        # request: nothing was refused to anyone, so nothing is logged.
        if request.method != request._request.method:
            text, contacts = denial_message(capability), []
        else:
            text, contacts = capability_refusal(request, capability)
        self.message = {"detail": text, "capability": capability, "roles": role_labels(capability),
                        "contacts": contacts}
        return False


def capability_for(view, request) -> str:
    by_action = getattr(view, "capabilities", None) or {}
    action = getattr(view, "action", None)
    if action and action in by_action:
        return by_action[action]
    if request.method in by_action:
        return by_action[request.method]
    write = request.method not in ("GET", "HEAD", "OPTIONS")
    if write and "write" in by_action:
        return by_action["write"]
    return view.capability


STEP_VERBS = {"matters.approve": "审批", "matters.decide": "决定"}


def role_labels(capability: str) -> list[str]:
    """The roles that hold `capability`, as people read them, in the roles' order."""
    return [Role(code).label for code in Role.values if code in CAPABILITIES[capability]]


def who_acts(capability: str) -> str:
    """Who takes a step, for a refusal or a page: "须由局领导决定", "须由科室负责人或局领导审批"."""
    return f"须由{'或'.join(role_labels(capability))}{STEP_VERBS.get(capability, '办理')}"


# --- refusals: logged, and saying who acts and what to do next -------------------------------------

REFUSAL_KIND = "capability.denied"
CONTACTS_SHOWN = 3  # names of colleagues a refusal offers
REFUSAL_DATA_MAX = 500  # characters of the refusal text kept in the event
ROUTE_IDS_MAX = 4  # URL arguments kept in the event, each at most ID_MAX characters
ID_MAX = 64


class CapabilityDenied(PermissionDenied):
    """A refusal for a missing capability (already logged); the 403 page knows it says who acts."""

    def __init__(self, message: str, capability: str):
        super().__init__(message)
        self.capability = capability
        self.context = {"refusal": True}


def _names(queryset, viewer) -> list[str]:
    return list(
        queryset.filter(is_active=True).exclude(pk=viewer.pk).distinct().order_by("pk")
        .values_list("name", flat=True)[: CONTACTS_SHOWN + 1]
    )


def _listed(names: list[str]) -> str:
    return "、".join(names[:CONTACTS_SHOWN]) + ("等" if len(names) > CONTACTS_SHOWN else "")


def refusal_contacts(capability: str, *, viewer) -> tuple[list[str], list[str]]:
    """Up to CONTACTS_SHOWN (+1, to know there are more) active colleagues of the viewer's agency who
    hold `capability`, and its 系统管理员: whom a refused user asks. Empty outside an agency."""
    if not viewer.agency_id:
        return [], []
    staff = viewer.agency.staff.all()
    holders = _names(staff.filter(role_assignments__role__in=CAPABILITIES[capability]), viewer)
    admins = _names(staff.filter(role_assignments__role=Role.ADMIN), viewer)
    return holders, admins


def refusal_text(capability: str, *, viewer, lead: str = "", contacts=None) -> str:
    """What a refusal of `capability` says: why (the roles), who acts (by name where the agency has
    them), what to do next (ask them; a wrong role is the 系统管理员's to change), and that nothing
    changed. `lead` replaces the first sentence where a page says more (it may name {who})."""
    first = lead.format(who="、".join(role_labels(capability))) if lead else denial_message(capability)
    if not viewer.agency_id:
        if viewer.supervising_body_id:
            nxt = ("执法监督机关的人员在所监督的执法主体只能查看，不能办理，也不能使用其工作页面。"
                   "请从工作台进入“执法监督”查看；如需办理，请告知该执法主体。")
        else:
            nxt = "您的账号不属于任何执法主体，请联系系统管理员核实账号。"
        return f"{first}{nxt}本次操作未作任何更改。"
    holders, admins = contacts if contacts is not None else refusal_contacts(capability, viewer=viewer)
    admin = f"系统管理员（{_listed(admins)}）" if admins else "本单位系统管理员"
    if CAPABILITIES[capability] == {Role.OVERSIGHT}:
        nxt = "该页面供执法监督机关（司法行政部门）的工作人员使用，执法主体的人员不能使用，请返回工作台。"
    elif holders:
        nxt = (f"{'' if lead else '此项操作' + who_acts(capability) + '，'}本单位可找{_listed(holders)}。"
               f"请联系他们办理；如您的角色或权限设置有误，请联系{admin}调整。")
    else:
        nxt = f"本单位目前没有人担任上述角色，请联系{admin}指定；如您的角色或权限设置有误，也请其调整。"
    return f"{first}{nxt}本次操作未作任何更改。"


def _route(request) -> dict:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return {"route": request.path[:200], "ids": {}}
    ids = {str(k)[:30]: str(v)[:ID_MAX] for k, v in list(match.kwargs.items())[:ROUTE_IDS_MAX]}
    return {"route": (match.view_name or "")[:200], "ids": ids}


def capability_refusal(
    request, capability: str, *, refusal: tuple[str, str] | None = None
) -> tuple[str, list[str]]:
    """Log that the request's (authenticated) user was refused `capability`; return what the refusal
    says and the colleagues it names. The event (`capability.denied`, or the page's own kind) belongs
    to the viewer's agency, or, for a supervising body's staff, has their body as subject; it commits
    on its own, before the 403. Logged once per request; a failure to log never turns the refusal
    into an error."""
    viewer = request.user
    http = getattr(request, "_request", request)  # DRF's Request wraps Django's
    kind = refusal[0] if refusal else REFUSAL_KIND  # one kind per route, whoever is refused
    lead = refusal[1] if refusal and viewer.agency_id else ""  # a page's own text speaks to its agency's staff
    try:
        with transaction.atomic():  # a failed query must not spoil a caller's transaction
            contacts = refusal_contacts(capability, viewer=viewer)
    except Exception:  # the names are a courtesy; the refusal stands without them
        logger.exception("refusal contacts for %s failed", capability)
        contacts = ([], [])
    text = refusal_text(capability, viewer=viewer, lead=lead, contacts=contacts)
    named = contacts[0][:CONTACTS_SHOWN]
    if getattr(http, "_refusal_logged", False):
        return text, named
    http._refusal_logged = True
    subject = viewer.agency or viewer.supervising_body or viewer
    data = {"capability": capability, "method": request.method[:10], **_route(http),
            "reason": text[:REFUSAL_DATA_MAX]}
    if viewer.supervising_body_id:
        data["body"] = viewer.supervising_body_id
    try:
        from ledger.services import event_record

        with transaction.atomic():
            event_record(kind=kind, subject=subject, acting_user=viewer, agency=viewer.agency, data=data)
    except Exception:  # the ledger could not take it: still refuse, and say so in the server's log
        logger.exception("could not log the refusal of %s to %s", capability, viewer.pk)
    return text, named

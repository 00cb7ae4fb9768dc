"""Who may do what: one table of capabilities to roles, used by every view, API endpoint and service.

A view that does not declare a capability (or `public`) fails the test that walks every URL.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from rest_framework.permissions import BasePermission

from org.choices import Role

# Every role of an agency's staff; a supervising body's staff (OVERSIGHT) hold none of its capabilities.
ALL_STAFF = frozenset(Role.values) - {Role.OVERSIGHT}
R = Role

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


def capability_required(capability: str, *, methods: tuple[str, ...] = ("GET", "POST")):
    """View decorator: log-in and the capability, else a clear Chinese refusal (nothing changes)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            require(request.user, capability)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods, "不支持该请求方式。")
            return view(request, *args, **kwargs)

        wrapped.capability = capability
        wrapped.methods = methods
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
        if not can(request.user, capability):
            self.message = denial_message(capability) if request.user.is_authenticated else "请先登录。"
            return False
        return True


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

"""The hazard register (隐患台账): each hazard found in an inspection is its own row, with its photo,
the rule it breaks, its rectification deadline, the party's report that it is fixed, its own
re-inspection and, when it is not fixed, the penalty matter it was moved to.

Services (`hazard_<verb>`) write one ledger event in their transaction; selectors take the viewer
and see hazards only through the matters the viewer may see (`matters.selectors._visible`).
The rules: hazards are recorded in writing and re-inspected on time (001 第七条、第八条); those not
rectified are referred for a case (001 第九条). Their articles come from the inspection workflow.
"""

from datetime import date, datetime, time

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ledger.refusals import object_visible
from ledger.services import event_record
from matters.choices import HazardState, MatterKind
from matters.models import Hazard, Matter
from matters.workflows import workflow_for
from org.permissions import require
from policy.calendar import due_moment
from policy.models import Deadline
from utilities.bounds import TEXT_LONG, text_bounded, text_for_column, year_bounded

RULE_KEY = "inspection.hazard_rectification"  # the Deadline rule_key: the officer sets the date
OPEN_STATES = (HazardState.OPEN, HazardState.REPORTED)
UNFIXED_STATES = (HazardState.NOT_RECTIFIED,)


def _article(code: str) -> str:
    t = workflow_for(MatterKind.INSPECTION, "general").transition(code)
    return t.article if t else ""


def _event(kind: str, hazard: Hazard, acting_user, **data) -> None:
    event_record(
        kind=f"hazard.{kind}",
        subject=hazard,
        acting_user=acting_user,
        agency=hazard.matter.agency,
        data={"matter": hazard.matter_id, **data},
    )


def _moment(value, *, label: str, after: datetime | None, after_label: str) -> datetime:
    """A claimed time: never in the future, never before the step it follows."""
    if value is None:
        return timezone.now()
    if isinstance(value, date) and not isinstance(value, datetime):
        value = timezone.make_aware(datetime.combine(value, time(12)))
    year_bounded(value, label=label)
    if value > timezone.now():
        raise ValidationError(f"{label}不能晚于现在。")
    if after is not None and value < after:
        raise ValidationError(
            f"{label}不能早于{after_label}（{timezone.localtime(after):%Y年%m月%d日 %H:%M}）。"
        )
    return value


def _handles(user, matter: Matter) -> None:
    from matters.selectors import matter_visible

    require(user, "matters.act")
    if not matter_visible(viewer=user, matter=matter):
        raise PermissionDenied(
            f"您不能办理该检查的隐患：它由{matter.section.name}承办。请由承办执法人员或科室负责人办理。"
        )


def _photos(matter: Matter, records) -> list:
    records = [r for r in records if r is not None]
    for r in records:
        if r.agency_id != matter.agency_id:
            raise ValidationError("关联的照片不属于本单位。")
    return records


def _track(hazard: Hazard, *, start: datetime, acting_user) -> Deadline | None:
    """The hazard's rectification deadline as a tracked deadline (shown on the workbench)."""
    if hazard.rectify_by is None:
        return None
    start_day = timezone.localtime(start).date()
    deadline = Deadline.objects.create(
        agency=hazard.matter.agency,
        subject_type=ContentType.objects.get_for_model(Hazard),
        subject_id=str(hazard.pk),
        rule_key=RULE_KEY,
        pack_id=hazard.matter.agency.policy_pack,
        start=start,
        amount=max((hazard.rectify_by - start_day).days, 0),
        unit="days",
        due=due_moment(hazard.rectify_by),
        provisional=False,
    )
    hazard.deadline = deadline
    hazard.save(update_fields=["deadline"])
    event_record(
        kind="deadline.track",
        subject=deadline,
        acting_user=acting_user,
        agency=hazard.matter.agency,
        data={"rule": RULE_KEY, "due": deadline.due.isoformat(), "hazard": hazard.pk},
    )
    return deadline


def hazards_deadline_set(*, matter: Matter, rectify_by: date, start: datetime, acting_user) -> None:
    """Called by the 责令限期整改 / 现场处理措施 step: every open hazard gets the ordered date as
    its tracked deadline. Runs inside that step's transaction (its event records the order)."""
    for hazard in matter.hazards.filter(state=HazardState.OPEN).select_related("matter__agency"):
        hazard.rectify_by = rectify_by
        hazard.save(update_fields=["rectify_by"])
        _track(hazard, start=start, acting_user=acting_user)


def hazard_record(
    *,
    acting_user,
    matter: Matter,
    description: str,
    location: str = "",
    photo=None,
    rule_broken: str = "",
    article: str = "",
    rectify_by: date | None = None,
) -> Hazard:
    """Add one hazard to an inspection that has been carried out (001 第七条).

    Changes: a Hazard row, its tracked deadline when `rectify_by` is given, one `hazard.record`
    event. Raises PermissionDenied for a user who does not handle the inspection, ValidationError
    for a matter that is no inspection or not yet inspected, empty or over-long text, a past date.
    """
    _handles(acting_user, matter)
    description = text_bounded(description, label="隐患描述", max_length=TEXT_LONG)
    if not description:
        raise ValidationError("请填写隐患描述。")
    location = text_for_column(location, label="部位", model=Hazard, field="location")
    rule_broken = text_for_column(rule_broken, label="违反的规定", model=Hazard, field="rule_broken")
    article = text_for_column(article, label="条款", model=Hazard, field="article")
    if matter.kind != MatterKind.INSPECTION:
        raise ValidationError("隐患只能登记在行政检查事项中。")
    if matter.closed_at is not None:
        raise ValidationError("该检查已办结，不能再登记隐患；请另行登记检查。")
    found_in = matter.steps.filter(transition="inspect").order_by("-pk").first()
    if found_in is None:
        raise ValidationError("请先办理“现场检查”环节，再登记检查中发现的隐患。")
    if rectify_by is not None:
        year_bounded(rectify_by, label="整改期限")
    if rectify_by is not None and rectify_by < timezone.localdate():
        raise ValidationError("整改期限不能早于今天。")
    photos = _photos(matter, [photo])
    with transaction.atomic():
        hazard = Hazard.objects.create(
            matter=matter,
            description=description,
            location=location,
            photo=photos[0] if photos else None,
            rule_broken=rule_broken,
            article=article,
            rectify_by=rectify_by,
            found_in=found_in,
        )
        _track(hazard, start=timezone.now(), acting_user=acting_user)
        _event(
            "record",
            hazard,
            acting_user,
            description=description,
            location=location,
            photo=hazard.photo_id,
            rule_broken=rule_broken,
            article=article,
            rectify_by=rectify_by.isoformat() if rectify_by else None,
        )
    return hazard


def hazard_report_fixed(
    *, acting_user, hazard: Hazard, reported_at: datetime | None = None, note: str = "", photos=()
) -> Hazard:
    """Record the party's report that the hazard is fixed, with its photos; a re-inspection may
    then follow before the deadline (001 第八条).

    Changes: the hazard's report fields and state (待整改 → 已报告整改完毕), one `hazard.report`
    event. Raises ValidationError when the hazard is not waiting for rectification, the time is in
    the future or before the hazard was found, or no photo and no text describe the work.
    """
    _handles(acting_user, hazard.matter)
    note = text_bounded(note, label="整改情况报告", max_length=TEXT_LONG)
    photos = _photos(hazard.matter, photos)
    if not note and not photos:
        raise ValidationError("请填写整改情况或附整改后的照片。")
    with transaction.atomic():
        hazard = (
            Hazard.objects.select_for_update().select_related("matter__agency", "found_in").get(pk=hazard.pk)
        )
        if hazard.state != HazardState.OPEN:
            raise ValidationError(f"该隐患当前为“{hazard.get_state_display()}”，不能再登记整改完毕报告。")
        reported_at = _moment(
            reported_at, label="报告时间", after=hazard.found_in.occurred_at, after_label="发现隐患的时间"
        )
        hazard.state = HazardState.REPORTED
        hazard.reported_at = reported_at
        hazard.report_note = note
        hazard.save(update_fields=["state", "reported_at", "report_note"])
        hazard.report_photos.set(photos)
        _event(
            "report",
            hazard,
            acting_user,
            reported_at=reported_at.isoformat(),
            note=note,
            photos=[p.pk for p in photos],
        )
    return hazard


def hazard_reinspect(
    *, acting_user, hazard: Hazard, rectified: bool, checked_at: datetime | None = None, note: str = ""
) -> Hazard:
    """The hazard's own re-inspection result (001 第八条): rectified or not.

    Before the deadline a re-inspection follows only the party's report; after it, any time.
    Changes: state, checked_at/by, check_note; one `hazard.reinspect` event. Raises ValidationError
    when the hazard is already settled, the re-inspection comes before the deadline without a
    report, or the time is in the future or before the report (or the finding).
    """
    _handles(acting_user, hazard.matter)
    note = text_bounded(note, label="复查意见", max_length=TEXT_LONG)
    with transaction.atomic():
        hazard = (
            Hazard.objects.select_for_update().select_related("matter__agency", "found_in").get(pk=hazard.pk)
        )
        if hazard.state not in OPEN_STATES:
            raise ValidationError(f"该隐患已复查（{hazard.get_state_display()}），不能再次复查。")
        after, after_label = (
            (hazard.reported_at, "当事人报告整改完毕的时间")
            if hazard.reported_at
            else (hazard.found_in.occurred_at, "发现隐患的时间")
        )
        checked_at = _moment(checked_at, label="复查时间", after=after, after_label=after_label)
        if (
            hazard.state == HazardState.OPEN
            and hazard.rectify_by is not None
            and timezone.localtime(checked_at).date() <= hazard.rectify_by
        ):
            raise ValidationError(
                f"整改期限（{hazard.rectify_by:%Y年%m月%d日}）届满前，须在当事人报告整改完毕后复查"
                f"（{_article('reinspect')}）。请先登记当事人的整改完毕报告。"
            )
        hazard.state = HazardState.RECTIFIED if rectified else HazardState.NOT_RECTIFIED
        hazard.checked_at = checked_at
        hazard.checked_by = acting_user
        hazard.check_note = note
        hazard.save(update_fields=["state", "checked_at", "checked_by", "check_note"])
        _event(
            "reinspect",
            hazard,
            acting_user,
            rectified=rectified,
            checked_at=checked_at.isoformat(),
            note=note,
        )
    return hazard


def hazards_refer(*, acting_user, matter: Matter, hazards=None, title: str = "") -> Matter:
    """Move the inspection's unfixed hazards to a new penalty matter for the same party, in one
    action (001 第九条): the matter is opened with the inspection's officers, its facts list the
    hazards, each hazard links to it and turns 已移交立案查处.

    Unfixed: re-inspected as not rectified, or still open after its deadline. Changes: a Matter
    (with its own `matter.open` event), the hazards, one `hazard.refer` event per hazard and a
    `matter.hazards_referred` event on the inspection. Raises ValidationError when none qualifies.
    """
    from matters.services import matter_open

    _handles(acting_user, matter)
    title = text_for_column(title, label="事由", model=Matter, field="title")
    if matter.party_id is None:
        raise ValidationError("该检查没有登记被检查单位，不能移交立案查处。")
    today = timezone.localdate()
    with transaction.atomic():
        qs = Hazard.objects.select_for_update().filter(matter=matter).order_by("pk")
        if hazards is not None:
            qs = qs.filter(pk__in=[h.pk for h in hazards])
        chosen = list(qs)
        if hazards is not None and len(chosen) != len(hazards):
            raise ValidationError("所选隐患不属于该检查。")
        unfixed = [h for h in chosen if _unfixed(h, today)]
        if hazards is not None and len(unfixed) != len(chosen):
            bad = "、".join(f"#{h.pk}" for h in chosen if h not in unfixed)
            raise ValidationError(f"隐患{bad}不是未整改的隐患（须经复查未整改，或逾期仍未整改），不能移交。")
        if not unfixed:
            raise ValidationError("该检查没有未整改的隐患可移交立案查处。")
        facts = "\n".join(
            f"{i}. {h.description}"
            + (f"（{h.location}）" if h.location else "")
            + (f"，违反{h.rule_broken}{h.article}" if h.rule_broken or h.article else "")
            for i, h in enumerate(unfixed, 1)
        )
        penalty = matter_open(
            acting_user=acting_user,
            kind=MatterKind.PENALTY,
            title=title or f"{matter.party.name}隐患逾期未整改",
            party=matter.party,
            officers=list(matter.officers.all()) or [acting_user],
            section=matter.section,
            facts=facts,
            confidentiality=matter.confidentiality,
        )
        for h in unfixed:
            h.state = HazardState.REFERRED
            h.penalty = penalty
            h.save(update_fields=["state", "penalty"])
            _event("refer", h, acting_user, penalty=penalty.pk)
        event_record(
            kind="matter.hazards_referred",
            subject=matter,
            acting_user=acting_user,
            data={"penalty": penalty.pk, "hazards": [h.pk for h in unfixed], "article": _article("refer")},
        )
    return penalty


def _unfixed(hazard: Hazard, today: date) -> bool:
    if hazard.state in UNFIXED_STATES:
        return True
    return hazard.state == HazardState.OPEN and hazard.rectify_by is not None and hazard.rectify_by < today


# --- reads ---------------------------------------------------------------------------------------------

FILTERS = {"open": "待整改", "overdue": "已逾期", "fixed": "已整改", "referred": "已移交", "all": "全部"}


def hazard_list(
    *, viewer, status: str = "", enterprise: int | None = None, section: int | None = None
) -> QuerySet:
    """The register as the viewer may see it: hazards of the matters the viewer may open."""
    from matters.selectors import _visible

    require(viewer, "matters.view")
    qs = Hazard.objects.filter(matter__in=Matter.objects.filter(_visible(viewer))).select_related(
        "matter__party", "matter__section", "photo", "penalty", "deadline"
    )
    today = timezone.localdate()
    overdue = Q(state=HazardState.OPEN, rectify_by__lt=today) | Q(state=HazardState.NOT_RECTIFIED)
    if status == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif status == "overdue":
        qs = qs.filter(overdue)
    elif status == "fixed":
        qs = qs.filter(state=HazardState.RECTIFIED)
    elif status == "referred":
        qs = qs.filter(state=HazardState.REFERRED)
    if enterprise:
        qs = qs.filter(matter__party_id=enterprise)
    if section:
        qs = qs.filter(matter__section_id=section)
    return qs.order_by("-pk")


def hazard_for(*, viewer, pk: int) -> Hazard:
    """One hazard the viewer may see (a refusal is logged); its read is the caller's to log."""
    return object_visible(
        hazard_list(viewer=viewer), pk=pk, viewer=viewer, missing="没有这项隐患，或您无权查看。"
    )


def hazard_read_logged(*, viewer, hazards: list, purpose: str) -> None:
    if not hazards:
        return
    with transaction.atomic():
        event_record(
            kind="hazard.view",
            subject=hazards[0] if len(hazards) == 1 else hazards[0].matter,
            acting_user=viewer,
            agency=viewer.agency,
            data={"purpose": purpose, "hazards": [h.pk for h in hazards]},
        )


def hazard_overdue(hazard: Hazard) -> bool:
    return _unfixed(hazard, timezone.localdate()) and hazard.state != HazardState.REFERRED


def hazard_deadline_rows(matters: list[Matter]) -> list:
    """Workbench rows: each hazard still waiting for its re-inspection, by its tracked deadline (a
    hazard recorded before the register tracked deadlines shows by its rectify_by date)."""
    from matters.selectors import DeadlineRow

    by_id = {m.pk: m for m in matters}
    hazards = (
        Hazard.objects.filter(matter_id__in=list(by_id), state__in=OPEN_STATES)
        .filter(Q(deadline__isnull=False) | Q(rectify_by__isnull=False))
        .select_related("deadline")
    )
    article = _article("reinspect")
    rows = []
    for h in hazards:
        due, provisional = (
            (h.deadline.due, h.deadline.provisional) if h.deadline else (due_moment(h.rectify_by), False)
        )
        label = f"隐患整改期限届满复查：{h.description[:30]}"
        rows.append(DeadlineRow(by_id[h.matter_id], RULE_KEY, label, due, provisional, True, False, article))
    return rows

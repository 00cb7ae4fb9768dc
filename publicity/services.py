"""Writes of the publicity app: the life of a published decision, corrections, powers, basis changes.

How decisions reach the portal (for `matters` and any other source):

    publication_draft(agency=..., category="penalty", decided_on=date, party=<enterprises.Party>,
                      instrument_number="抚应急罚决〔2026〕12号", cause=..., basis=..., result=...,
                      source="matters.matter:12", acting_user=user)
    publication_review(publication=p, acting_user=reviewer)      # draft → reviewed (第二十四条)
    publication_publish(publication=p, acting_user=reviewer)     # reviewed → published
    publication_withdraw(publication=p, reason=..., acting_user=user)   # revoked/unlawful/remade

Every version of the content is kept (PublicationVersion) and stored in the vault as a record;
nothing is deleted. Every service writes its ledger event in its own transaction. `acting_user`
may be None (the system, e.g. a matter's decision handed over from `transaction.on_commit`);
a person needs publicity.draft (officers, chiefs, leaders, office, legal reviewers, admins).
The matter kinds (inspection, penalty, compulsion, licensing, confirmation, benefit) are the
categories; the deadline to publish runs from `decided_on`.
"""

import json
import tempfile
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from enterprises.choices import PartyKind
from ledger.services import event_record
from org.permissions import require
from policy.calendar import compute_deadline, deadline_for
from policy.selectors import agency_rules
from policy.services import deadline_track
from publicity.choices import DEADLINE_RULE, OTHER_DEADLINE_RULE, Category, CorrectionState, PublicationState
from publicity.masking import public_view
from publicity.models import BasisChange, CorrectionRequest, EnforcementPower, Publication, PublicationVersion
from publicity.portal_page import decision_row
from records.choices import Confidentiality, RecordKind
from records.models import RecordVersion
from utilities.bounds import text_bounded

S = PublicationState
CONTENT_FIELDS = (
    "party_name",
    "party_id_number",
    "party_phone",
    "party_address",
    "instrument_number",
    "cause",
    "summary",
    "basis",
    "result",
)
# A product bound on the public summary: a few sentences, as the portal's list and feeds show it.
SUMMARY_MAX_LENGTH = 500
CORRECTABLE_FIELDS = (*CONTENT_FIELDS, "minor")


def name_display(rules) -> str:
    """How a natural person's name is shown. Without a rule in the pack the safest form (masked)."""
    return str(rules.value("publicity.natural_person_name_display", default="masked"))


def deadline_rule_key(category: str) -> str:
    """The pack rule that sets how soon a decision of `category` is published (000 第二十一条)."""
    return DEADLINE_RULE.get(category, OTHER_DEADLINE_RULE)


def _public(agency, content: dict) -> dict:
    return public_view(content, name_display=name_display(agency_rules(agency)))


def _vault_store(publication: Publication, version: PublicationVersion, *, reason: str = "") -> None:
    """Put this version's content into the vault: version 1 as a new record, later ones as versions."""
    from records.services import record_correct, record_ingest

    section = (
        getattr(version.created_by, "section", None)
        if getattr(version.created_by, "agency_id", None) == publication.agency_id
        else None
    ) or publication.agency.sections.order_by("id").first()
    if section is None:
        raise ValidationError("本单位尚未设置科室，公示信息无法存档。")
    body = {
        "publication": publication.pk,
        "version": version.number,
        "state": publication.state,
        "content": version.content,
        "public": version.public,
        "reason": version.reason,
        "at": timezone.now().isoformat(),
    }
    name = f"公示信息-{publication.pk}-v{version.number}.json"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
        if publication.record_id is None:
            natural = publication.party_kind == PartyKind.NATURAL_PERSON
            result = record_ingest(
                acting_user=None,
                section=section,
                path=path,
                original_name=name,
                kind=RecordKind.DOCUMENT,
                title=f"执法决定公示信息 {publication.instrument_number}",
                confidentiality=Confidentiality.RESTRICTED if natural else Confidentiality.NORMAL,
            )
            publication.record = result.version.record
            Publication.objects.filter(pk=publication.pk).update(record=publication.record)
        else:
            record_correct(
                acting_user=None, record=publication.record, path=path, original_name=name, reason=reason
            )


def _new_version(publication: Publication, *, reason: str, acting_user) -> PublicationVersion:
    version = PublicationVersion.objects.create(
        publication=publication,
        number=publication.version,
        content=publication.content,
        public=publication.public,
        reason=reason,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    _vault_store(publication, version, reason=reason or "新版本")
    return version


def _party_fields(party, fields: dict) -> dict:
    if party is None:
        return fields
    return {
        "party_kind": party.kind,
        "party_name": party.name,
        "party_id_number": party.id_number,
        "party_phone": party.phone,
        "party_address": party.address,
    } | {k: v for k, v in fields.items() if v}


def _validate_content(content: dict) -> None:
    for key, label in (
        ("party_name", "执法对象"),
        ("instrument_number", "文书号"),
        ("cause", "事由"),
        ("basis", "依据"),
        ("result", "结果"),
    ):
        if not str(content.get(key) or "").strip():
            raise ValidationError(f"{label}不能为空（公示制度第十三条：公开执法对象、执法内容、执法决定等）。")
    if content.get("party_kind") not in PartyKind.values:
        raise ValidationError("当事人类型未知。")
    if len(content.get("summary") or "") > SUMMARY_MAX_LENGTH:
        raise ValidationError(f"公示摘要不能超过{SUMMARY_MAX_LENGTH}字。")


@transaction.atomic
def publication_draft(
    *,
    agency,
    category: str,
    decided_on: date,
    instrument_number: str,
    cause: str,
    basis: str,
    result: str,
    party=None,
    party_kind: str = "",
    party_name: str = "",
    party_id_number: str = "",
    party_phone: str = "",
    party_address: str = "",
    minor: bool = False,
    withheld: list[str] | tuple[str, ...] = (),
    source: str = "",
    summary: str | None = None,
    acting_user,
) -> Publication:
    """Hand over a decision for publication: a draft with a snapshot of its content and the
    publication deadline from the pack (许可/处罚 7 working days, others 20; 000 第二十一条).

    `summary` is the 事由 the public sees, reviewed with the rest; a person drafting by hand writes
    it as the cause (None: the same text), a decision handed over from a matter leaves it empty
    (`cause` then holds the matter's internal title, never shown) and staff write it before review.
    `party` is an enterprises.Party (its data is copied) or None with the party_* fields.
    `withheld`: passages that are trade secrets, never published. `source`: a reference to where the
    decision came from, e.g. "matters.matter:12". Raises ValidationError for a missing field, an
    unknown category, a decision dated in the future; PermissionDenied without publicity.draft.
    """
    require(acting_user, "publicity.draft", agency=agency)
    if category not in Category.values:
        raise ValidationError(f"未知执法类别“{category}”。")
    if decided_on > timezone.localdate():
        raise ValidationError("决定日期不能晚于今天。")
    fields = _party_fields(
        party,
        {
            "party_kind": party_kind,
            "party_name": party_name,
            "party_id_number": party_id_number,
            "party_phone": party_phone,
            "party_address": party_address,
        },
    )
    content = {
        "agency": agency.name,
        "category": category,
        **{k: str(v or "").strip() for k, v in fields.items() if k != "party_kind"},
        "party_kind": fields.get("party_kind") or "",
        "instrument_number": (instrument_number or "").strip(),
        "cause": (cause or "").strip(),
        "summary": (cause if summary is None else summary or "").strip(),
        "basis": (basis or "").strip(),
        "result": (result or "").strip(),
        "decided_on": decided_on.isoformat(),
        "withheld": [s.strip() for s in withheld if s and s.strip()],
    }
    _validate_content(content)
    public = _public(agency, content)
    publication = Publication.objects.create(
        agency=agency,
        category=category,
        party_kind=content["party_kind"],
        minor=minor,
        decided_on=decided_on,
        instrument_number=content["instrument_number"],
        party_public=public["party"],
        content=content,
        public=public,
        due_on=decided_on,  # replaced below by the tracked deadline
        source=source,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    deadline = deadline_track(
        agency=agency,
        subject=publication,
        rule_key=deadline_rule_key(category),
        start=decided_on,
        acting_user=acting_user,
    )
    publication.due_on = timezone.localtime(deadline.due).date()
    publication.row_html = decision_row(publication.pk, public)
    publication.save(update_fields=["due_on", "row_html"])
    event_record(
        kind="publication.draft",
        subject=publication,
        acting_user=acting_user,
        data={
            "category": category,
            "instrument_number": publication.instrument_number,
            "due_on": publication.due_on.isoformat(),
            "source": source,
        },
    )
    _new_version(publication, reason="起草", acting_user=acting_user)
    return publication


def _locked(publication: Publication) -> Publication:
    return Publication.objects.select_for_update().select_related("agency").get(pk=publication.pk)


@transaction.atomic
def publication_review(*, publication: Publication, acting_user, version: int | None = None) -> Publication:
    """Record that the reviewer checked exactly the public form shown to them (000 第二十四条).
    `version`: the version the reviewer was shown; if the content changed since, nothing happens.

    Raises ValidationError unless the item is a draft, or when `version` is not the current one;
    PermissionDenied without publicity.review.
    """
    publication = _locked(publication)
    require(acting_user, "publicity.review", agency=publication.agency)
    if publication.state != S.DRAFT:
        raise ValidationError(f"只有待审查的公示信息可以审查，当前状态为“{publication.get_state_display()}”。")
    if version is not None and version != publication.version:
        raise ValidationError("公示内容在您查看后已变更，请重新查看后再审查（公示制度第二十四条）。")
    if "summary" in publication.content and not publication.content["summary"].strip():
        raise ValidationError(
            "尚未撰写公示摘要（公众看到的事由）。请承办人员或审查人员在本页“公示摘要”中填写后再审查，"
            "内部案件名称不对外公开。"
        )
    publication.state = S.REVIEWED
    publication.reviewed_by = acting_user if getattr(acting_user, "pk", None) else None
    publication.reviewed_at = timezone.now()
    publication.save(update_fields=["state", "reviewed_by", "reviewed_at"])
    event_record(
        kind="publication.review",
        subject=publication,
        acting_user=acting_user,
        data={"version": publication.version, "public": publication.public},
    )
    return publication


def display_until(publication: Publication, published_on: date) -> date | None:
    """The last day the item stays on the portal: the pack's display period from publication
    (抚顺 000 第二十二条: 2 years, natural persons 1; 余姚 002 二（一）5: penalties ≤ 5 years,
    minor ones ≥ 1). None when the pack sets no period."""
    rules = agency_rules(publication.agency, published_on)
    penalty = publication.category == Category.PENALTY
    key = "publicity.display_period"
    if penalty and "publicity.penalty_display_period" in rules:
        key = "publicity.penalty_display_period"  # 余姚: the 5-year cap is for 一般行政处罚信息 only
    if publication.party_kind == PartyKind.NATURAL_PERSON and "publicity.display_period_natural_person" in rules:
        key = "publicity.display_period_natural_person"
    elif penalty and publication.minor and "publicity.display_period_minimum" in rules:
        # The publisher marks a penalty 社会危害不大、情节轻微、已及时纠正; the shortened period is set
        # at the minimum the text allows.
        key = "publicity.display_period_minimum"
    if key not in rules:
        return None
    return deadline_for(rules.rule(key), published_on).due


@transaction.atomic
def publication_publish(*, publication: Publication, acting_user) -> Publication:
    """Put a reviewed item on the portal and fix the day it comes down.

    Raises ValidationError for an item not reviewed (000 第二十四条: 未经审查不得发布).
    """
    publication = _locked(publication)
    require(acting_user, "publicity.review", agency=publication.agency)
    if publication.state != S.REVIEWED:
        raise ValidationError("未经审查的公示信息不得发布（公示制度第二十四条）。")
    now = timezone.now()
    publication.state = S.PUBLISHED
    publication.published_at = now
    publication.display_until = display_until(publication, timezone.localdate(now))
    publication.save(update_fields=["state", "published_at", "display_until"])
    event_record(
        kind="publication.publish",
        subject=publication,
        acting_user=acting_user,
        data={
            "version": publication.version,
            "late": timezone.localdate(now) > publication.due_on,
            "display_until": publication.display_until.isoformat() if publication.display_until else None,
        },
    )
    return publication


@transaction.atomic
def publication_withdraw(
    *, publication: Publication, reason: str, acting_user, occurred_on: date | None = None
) -> Publication:
    """Withdraw an item whose decision was revoked, found unlawful or remade, with a public note
    (行政处罚法第四十八条第二款; 000 第十四条、第二十二条). The content stays in the vault; the
    portal shows only the note from now on. `occurred_on`: when the decision was revoked (today by
    default); the pack's withdrawal period runs from it.

    Raises ValidationError without a reason or for an item already taken down.
    """
    publication = _locked(publication)
    require(acting_user, "publicity.review", agency=publication.agency)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("撤回须说明理由（行政处罚法第四十八条第二款）。")
    if publication.state in (S.WITHDRAWN, S.EXPIRED):
        raise ValidationError("该公示信息已撤下。")
    occurred_on = occurred_on or timezone.localdate()
    rules = agency_rules(publication.agency, occurred_on)
    if "publicity.withdrawal_deadline" in rules:
        publication.withdrawal_due = deadline_for(rules.rule("publicity.withdrawal_deadline"), occurred_on).due
    was_public = publication.state == S.PUBLISHED
    publication.state = S.WITHDRAWN
    publication.taken_down_at = timezone.now()
    publication.withdrawal_note = reason
    publication.version += 1
    publication.save()
    _new_version(publication, reason=f"撤回：{reason}", acting_user=acting_user)
    event_record(
        kind="publication.withdraw",
        subject=publication,
        acting_user=acting_user,
        data={
            "reason": reason,
            "was_public": was_public,
            "occurred_on": occurred_on.isoformat(),
            "withdrawal_due": publication.withdrawal_due.isoformat() if publication.withdrawal_due else None,
            "late": bool(publication.withdrawal_due and timezone.localdate() > publication.withdrawal_due),
        },
    )
    return publication


@transaction.atomic
def publications_expire(*, today: date | None = None, acting_user=None) -> int:
    """Take down published items whose display period has ended (000 第二十二条). The portal
    already hides them from the day after `display_until`; this records it. Returns how many."""
    today = today or timezone.localdate()
    due = Publication.objects.select_for_update().filter(state=S.PUBLISHED, display_until__lt=today)
    count = 0
    for publication in due:
        publication.state = S.EXPIRED
        publication.taken_down_at = timezone.now()
        publication.save(update_fields=["state", "taken_down_at"])
        event_record(
            kind="publication.expire",
            subject=publication,
            acting_user=acting_user,
            data={"display_until": publication.display_until.isoformat()},
        )
        count += 1
    return count


@transaction.atomic
def publication_correct(*, publication: Publication, changes: dict, reason: str, acting_user) -> Publication:
    """A new version of the content (000 第二十五条: inaccurate information is corrected). A
    corrected draft stays a draft; a corrected reviewed or published item goes back to review, so
    that nothing reaches the public unreviewed (第二十四条).

    Raises ValidationError without a reason, for unknown fields, no change, or a taken-down item.
    """
    publication = _locked(publication)
    require(acting_user, "publicity.draft", agency=publication.agency)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("更正须写明理由（公示制度第二十五条）。")
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ValidationError("不可更正的字段：" + "、".join(sorted(unknown)))
    if publication.state in (S.WITHDRAWN, S.EXPIRED):
        raise ValidationError("已撤下的公示信息不能更正。")
    content = dict(publication.content)
    for key, value in changes.items():
        if key != "minor":
            content[key] = str(value or "").strip()
    if content == publication.content and changes.get("minor", publication.minor) == publication.minor:
        raise ValidationError("更正内容与当前内容相同。")
    _validate_content(content)
    before = {k: publication.content.get(k) for k in changes if k != "minor"}
    publication.content = content
    publication.public = _public(publication.agency, content)
    publication.party_public = publication.public["party"]
    publication.row_html = decision_row(publication.pk, publication.public)
    publication.instrument_number = content["instrument_number"]
    publication.minor = bool(changes.get("minor", publication.minor))
    publication.version += 1
    if publication.state in (S.REVIEWED, S.PUBLISHED):
        publication.state = S.DRAFT
        publication.published_at = None
        publication.display_until = None
    publication.save()
    _new_version(publication, reason=reason, acting_user=acting_user)
    event_record(
        kind="publication.correct",
        subject=publication,
        acting_user=acting_user,
        data={"version": publication.version, "fields": sorted(changes), "before": before, "reason": reason},
    )
    return publication


# --- corrections requested by the public (000 第二十五条) -----------------------------------------


# A product limit for files sent by the public (not a figure of any regulation).
EVIDENCE_MAX_BYTES = 20 * 2**20


class TooManyRequests(ValidationError):
    """A public request refused because its sender (or everyone, for evidence bytes) sent too much."""


def _public_limits(client_address: str | None, evidence_bytes: int) -> None:
    """Refuse a public request over the ZHIFA_PUBLIC_* limits; nothing is stored before this check."""
    now = timezone.now()
    if client_address is not None:
        recent = CorrectionRequest.objects.filter(client_address=client_address)
        for window, limit, label in (
            (timedelta(hours=1), settings.ZHIFA_PUBLIC_REQUESTS_PER_HOUR, "一小时"),
            (timedelta(days=1), settings.ZHIFA_PUBLIC_REQUESTS_PER_DAY, "一天"),
        ):
            if recent.filter(created_at__gt=now - window).count() >= limit:
                raise TooManyRequests(
                    f"同一网络地址{label}内最多可提交 {limit} 份更正申请，本次未提交。请稍后再试，"
                    "或通过本机关公布的投诉举报渠道反映。"
                )
    if evidence_bytes:
        today = CorrectionRequest.objects.filter(
            created_at__gt=now - timedelta(days=1), evidence_record__isnull=False
        ).values("evidence_record")
        sent = RecordVersion.objects.filter(record__in=today).aggregate(total=Sum("size"))["total"] or 0
        if sent + evidence_bytes > settings.ZHIFA_PUBLIC_EVIDENCE_BYTES_PER_DAY:
            raise TooManyRequests(
                "今天通过门户收到的证据文件已达系统上限，本次未提交。请明天再试，"
                "或不附文件提交申请、在证据说明中写明证据，由本机关联系取证。"
            )


# What one anonymous correction request may say (a product limit against flooding, not a regulation).
PUBLIC_TEXT_MAX = 5000


@transaction.atomic
def correction_request(
    *,
    publication: Publication,
    applicant: str,
    contact: str,
    statement: str,
    evidence: str,
    evidence_file: Path | None = None,
    evidence_name: str = "",
    client_address: str | None = None,
) -> CorrectionRequest:
    """Anyone asks for a correction with evidence. Open to the public (no acting user). A file of
    evidence, if sent, goes into the vault as a restricted record.

    Raises ValidationError for missing fields, a file over EVIDENCE_MAX_BYTES, or an item not on
    the portal; TooManyRequests (a ValidationError) over the ZHIFA_PUBLIC_* limits.
    """
    publication = Publication.objects.select_related("agency").get(pk=publication.pk)
    if publication.state != S.PUBLISHED:
        raise ValidationError("只能对正在公示的信息申请更正。")
    values = {"applicant": applicant, "contact": contact, "statement": statement, "evidence": evidence}
    labels = {"applicant": "申请人", "contact": "联系方式", "statement": "更正内容和理由", "evidence": "证据"}
    limits = {
        "applicant": CorrectionRequest._meta.get_field("applicant").max_length,
        "contact": CorrectionRequest._meta.get_field("contact").max_length,
        "statement": PUBLIC_TEXT_MAX,
        "evidence": PUBLIC_TEXT_MAX,
    }
    for key, value in values.items():
        values[key] = text_bounded(value, label=labels[key], max_length=limits[key])
        if not values[key]:
            raise ValidationError(f"{labels[key]}不能为空（公示制度第二十五条：有证据证明信息不准确的可申请更正）。")
    evidence_bytes = Path(evidence_file).stat().st_size if evidence_file is not None else 0
    if evidence_bytes > EVIDENCE_MAX_BYTES:
        raise ValidationError(f"证据文件不能超过 {EVIDENCE_MAX_BYTES // 2**20} MB，可改为说明后由本机关联系取证。")
    _public_limits(client_address, evidence_bytes)
    correction = CorrectionRequest.objects.create(
        publication=publication, client_address=client_address, **{k: v.strip() for k, v in values.items()}
    )
    if evidence_file is not None:
        from records.services import record_ingest

        section = publication.agency.sections.order_by("id").first()
        if section is None:
            raise ValidationError("本单位尚未设置科室，证据文件无法存档。")
        result = record_ingest(
            acting_user=None,
            section=section,
            path=Path(evidence_file),
            original_name=evidence_name or Path(evidence_file).name,
            kind=RecordKind.DOCUMENT,
            title=f"公示信息更正申请证据（{applicant.strip()}）",
            confidentiality=Confidentiality.RESTRICTED,
        )
        correction.evidence_record = result.version.record
        correction.save(update_fields=["evidence_record"])
    event_record(
        kind="publication.correction_request",
        subject=correction,
        agency=publication.agency,
        data={"publication": publication.pk},
    )
    return correction


def appeal_route(agency) -> str:
    channel = (agency.complaint_channel or "").strip()
    route = "对答复不服的，可向本机关申诉，或依法申请行政复议、提起行政诉讼。"
    return route + (f"申诉渠道：{channel}" if channel else "")


@transaction.atomic
def correction_decide(
    *, correction: CorrectionRequest, accept: bool, answer: str, changes: dict | None = None, acting_user
) -> CorrectionRequest:
    """Verify a correction request: correct the item (a new version, back to review) or refuse,
    with reasons; the applicant reads the answer and how to appeal under their query code.

    Raises ValidationError without reasons, for a request already answered, or when accepting
    without changes.
    """
    correction = CorrectionRequest.objects.select_for_update().select_related("publication__agency").get(
        pk=correction.pk
    )
    agency = correction.publication.agency
    require(acting_user, "publicity.review", agency=agency)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError("须说明核实结果和理由（公示制度第二十五条）。")
    if correction.state != CorrectionState.PENDING:
        raise ValidationError("该申请已答复。")
    if accept:
        if not changes:
            raise ValidationError("同意更正须写明更正后的内容。")
        publication_correct(
            publication=correction.publication,
            changes=changes,
            reason=f"依申请更正：{answer}",
            acting_user=acting_user,
        )
    correction.state = CorrectionState.CORRECTED if accept else CorrectionState.REFUSED
    correction.answer = answer
    correction.appeal = appeal_route(agency)
    correction.decided_by = acting_user if getattr(acting_user, "pk", None) else None
    correction.decided_at = timezone.now()
    correction.save()
    event_record(
        kind="publication.correction_decide",
        subject=correction,
        acting_user=acting_user,
        agency=agency,
        data={"accepted": accept, "answer": answer},
    )
    return correction


# --- 事前公开: powers and changes of basis -----------------------------------------------------------


@transaction.atomic
def power_save(
    *, agency, code: str, name: str, category: str, basis: str, section=None, workflow: str = "", acting_user
) -> EnforcementPower:
    """Add or update one enforcement power of the list (000 第七条、第十七条). Reviewers keep the
    list, so what they save is reviewed (第二十四条)."""
    require(acting_user, "publicity.review", agency=agency)
    if category not in Category.values:
        raise ValidationError(f"未知执法类别“{category}”。")
    if not (code or "").strip() or not (name or "").strip() or not (basis or "").strip():
        raise ValidationError("事项编码、名称和法律依据不能为空（公示制度第七条）。")
    if section is not None and section.agency_id != agency.pk:
        raise ValidationError("承办机构不属于本单位。")
    power, created = EnforcementPower.objects.update_or_create(
        agency=agency,
        code=code.strip(),
        defaults={"name": name.strip(), "category": category, "basis": basis.strip(), "section": section,
                  "workflow": workflow},
    )  # fmt: skip
    event_record(
        kind="publicity.power_save",
        subject=power,
        acting_user=acting_user,
        data={"code": power.code, "name": power.name, "basis": power.basis, "created": created},
    )
    return power


@transaction.atomic
def basis_change_record(*, agency, basis: str, description: str, effective_on: date, acting_user) -> BasisChange:
    """Record that a law or duty changed; the items citing it are due for update within the pack's
    period from `effective_on` (000 第十九条). Raises RuleMissing if the pack sets no period."""
    require(acting_user, "publicity.review", agency=agency)
    basis = (basis or "").strip()
    if not basis or not (description or "").strip():
        raise ValidationError("须写明变化的依据或职能及变化情况（公示制度第十九条）。")
    rule = agency_rules(agency, effective_on).rule("publicity.update_after_change")
    change = BasisChange.objects.create(
        agency=agency,
        basis=basis,
        description=description.strip(),
        effective_on=effective_on,
        due_on=compute_deadline(effective_on, int(rule.value), rule.unit).due,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    event_record(
        kind="publicity.basis_change",
        subject=change,
        acting_user=acting_user,
        data={"basis": basis, "effective_on": effective_on.isoformat(), "due_on": change.due_on.isoformat()},
    )
    return change


@transaction.atomic
def basis_change_resolve(*, change: BasisChange, acting_user) -> BasisChange:
    require(acting_user, "publicity.review", agency=change.agency)
    if change.resolved_at:
        raise ValidationError("该变化已处理完毕。")
    change.resolved_at = timezone.now()
    change.save(update_fields=["resolved_at"])
    event_record(kind="publicity.basis_change_resolve", subject=change, acting_user=acting_user)
    return change

"""Service (送达) of an issued 文书 as its own action, the receipt scanned afterwards (补充送达回证) and
the party's 送达地址确认书 that electronic service needs (行政处罚法第六十一条第二款).

A 文书 is issued by its step; serving it is recorded here when it happens. Where the matter waits at
its workflow's service step for this 文书 (a decision to be served), the step itself is taken, so the
state moves on and the payment period starts from the service, as it does from the step's own form.
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils import timezone

from ledger.services import event_record
from matters.choices import ServiceMethod
from matters.instrument_types import TYPES
from matters.models import Instrument, Matter, Service, ServiceAddress
from matters.services import (
    REQUIREMENT_LABELS,
    ProofUpload,
    ServiceInput,
    _bound_service_text,
    _check_service,
    _record_service,
    _rules,
    _served_instrument,
    _span,
    _when,
    av_media,
    av_requirements,
    matter_transition,
    proof_file,
    service_after_issue,
    service_proof_unused,
    time_not_future,
)
from matters.workflows import Transition, workflow_for
from org.choices import Role
from org.permissions import require
from policy.registry import UNIT_LABELS
from utilities.bounds import TEXT_LINE, text_bounded, text_for_column, year_bounded

PHONE_CHARS = set("0123456789+-() ")


def _may_serve(user, matter: Matter) -> None:
    """Service is field work: the officers who handle the matter, or their section chief."""
    require(user, "matters.act", agency=matter.agency)
    handles = matter.officers.filter(pk=user.pk).exists()
    chief = user.has_role(Role.SECTION_CHIEF) and user.section_id == matter.section_id
    if not (handles or chief):
        names = "、".join(o.name for o in matter.officers.all()) or "未指定"
        raise PermissionDenied(
            f"只有承办本事项的执法人员（{names}）或{matter.section.name}负责人可以登记送达；请由承办人员办理。"
        )


def matter_may_serve(*, acting_user, matter: Matter) -> None:
    """Raise PermissionDenied unless `acting_user` may record services of `matter` (the serve page
    checks this first, so a refusal is shown instead of forms that would be refused)."""
    _may_serve(acting_user, matter)


def instrument_awaits_service(instrument: Instrument) -> bool:
    """An issued 文书 delivered to the party (送达) whose service is not recorded yet."""
    kind = TYPES.get(instrument.type)
    return bool(kind and kind.served and instrument.matter_id) and not instrument.services.exists()


def service_step_for(matter: Matter, instrument: Instrument) -> Transition | None:
    """The workflow step that serves this 文书 now (送达行政处罚决定书), if the matter waits at one."""
    for t in workflow_for(matter.kind, matter.procedure).available(matter.state):
        if t.serve and t.instrument is None:
            try:
                if _served_instrument(matter, t, None).pk == instrument.pk:
                    return t
            except ValidationError:
                return None
    return None


def _check_late(served_at, now, rules, late_reason: str) -> None:
    rule = rules.rule("time.late_entry_tolerance")
    if now - served_at > _span(rule) and not late_reason:
        unit = UNIT_LABELS.get(rule.unit, rule.unit)
        raise ValidationError(
            f"送达时间（{_when(served_at)}）早于登记时间超过{rule.value}{unit}，请在“补录原因”中写明为何事后登记"
            f"（{rule.cited('、')}）。"
        )


def _check_service_av(matter: Matter, instrument: Instrument, service: ServiceInput, rules) -> None:
    """Rows of the recording list that apply to a step only when it serves this way (003 附件1:
    留置送达) apply to the service recorded after the step."""
    step = instrument.step
    if step is None:
        return
    rows, rule = av_requirements(matter, step.transition, rules, method=service.method)
    limited = [r for r in rows if r.get("service_methods")]
    if limited and not (service.av is not None and service.av.kind in av_media(rules, limited)):
        raise ValidationError(
            f"以{ServiceMethod(service.method).label}方式送达《{instrument.title}》须音像记录（{limited[0]['item']}；"
            f"{rule.cited('、')}）：请关联送达过程的录音录像。"
        )


def instrument_serve(*, acting_user, instrument: Instrument, service: ServiceInput, late_reason: str = ""):
    """Record how and when an issued 文书 was served. The scanned receipt may follow
    (`service_receipt_add`); what the pack requires otherwise must be there now.

    Changes: a Service row (with its records); where the matter waits at its service step for this
    文书, that step (state, payment period, its event); else one `matter.instrument_serve` event.
    Returns the Service. Raises PermissionDenied for someone who does not handle the matter;
    ValidationError for a 文书 that is not served or already served, a time in the future or before
    the 文书 was issued, a method without what the pack requires (电子送达 without the party's
    送达地址确认书: 行政处罚法第六十一条第二款), a receipt already used. Nothing changes on a refusal.
    Proofs delivered as files (`service.uploads`) count as present in the checks and are filed in the
    vault only after every check passed, in the service's transaction: a refused service files none.
    """
    matter = instrument.matter
    if matter is None:
        raise ValidationError(f"《{instrument.title}》不属于执法事项，不在此登记送达。")
    _may_serve(acting_user, matter)
    kind = TYPES.get(instrument.type)
    if kind is None or not kind.served:
        raise ValidationError(f"《{instrument.title}》是内部文书，不需要送达当事人。")
    late_reason = text_bounded(late_reason, label="补录原因", max_length=TEXT_LINE)
    _bound_service_text(service)
    if service.served_at is None:
        raise ValidationError("请填写送达时间。")
    now = timezone.now()
    rules = _rules(matter, timezone.localtime(service.served_at).date())
    time_not_future("送达时间", service.served_at, now, rules)
    service_after_issue(service.served_at, instrument.issued_at, rules)
    already = instrument.services.first()
    if already is not None:
        raise ValidationError(
            f"《{instrument.title}》{instrument.number}已于{_when(already.served_at)}{already.get_method_display()}，"
            "不能重复登记送达；送达回证可在该次送达上补充。"
        )
    step = service_step_for(matter, instrument)
    if step is not None:
        # The service is the workflow's step: it moves the matter on (and starts the payment period).
        matter_transition(
            acting_user=acting_user,
            matter=matter,
            transition=step.code,
            service=service,
            occurred_at=min(service.served_at, now),
            late_reason=late_reason,
        )
        return Service.objects.filter(instrument=instrument).latest("pk")
    with transaction.atomic():
        Matter.objects.select_for_update().get(pk=matter.pk)
        if Service.objects.filter(instrument=instrument).exists():
            raise ValidationError(f"《{instrument.title}》{instrument.number}已登记送达，不能重复登记。")
        _check_late(service.served_at, now, rules, late_reason)
        _check_service(matter, service, rules)
        _check_service_av(matter, instrument, service, rules)
        row = _record_service(matter, instrument, service, acting_user)
        if late_reason:
            row.details = {**row.details, "late_reason": late_reason}
            row.save(update_fields=["details"])
        event_record(
            kind="matter.instrument_serve",
            subject=matter,
            acting_user=acting_user,
            data={
                "instrument": instrument.pk,
                "number": instrument.number,
                "service": row.pk,
                "method": row.method,
                "served_at": timezone.localtime(row.served_at).isoformat(timespec="minutes"),
                "records": sorted(r.pk for r in row.records.all()),
                "pending": list(service.pending),
            },
        )
    return row


def service_receipt_add(*, acting_user, instrument: Instrument, receipt=None, upload: ProofUpload | None = None
                        ) -> Service:
    """Attach the scanned 送达回证 to the service of a 文书 recorded without it. The record must be one
    of this matter's (`matter_receipt_candidates`) and not yet used as proof of any service; a scan
    delivered as a file (`upload`) is filed once the checks pass, in the same transaction.

    Changes: the Service's receipt and records; one `matter.service_receipt` event. Raises
    PermissionDenied for someone who does not handle the matter; ValidationError when the 文书 has no
    service yet, its service has its receipt, or the record is another matter's or already used.
    """
    from matters.selectors import matter_receipt_candidates

    matter = instrument.matter
    if matter is None:
        raise ValidationError(f"《{instrument.title}》不属于执法事项。")
    _may_serve(acting_user, matter)
    _one_of(receipt, upload, "送达回证的扫描件")
    with transaction.atomic():
        Matter.objects.select_for_update().get(pk=matter.pk)
        service = Service.objects.select_for_update().filter(instrument=instrument).order_by("-pk").first()
        if service is None:
            raise ValidationError(f"《{instrument.title}》{instrument.number}尚未登记送达：请先登记送达，再补充送达回证。")
        if service.receipt_id is not None:
            raise ValidationError(
                f"《{instrument.title}》{instrument.number}的送达已有送达回证（记录#{service.receipt_id}），一次送达只有一份回证。"
            )
        created = False
        if upload is not None:
            receipt, created = proof_file(matter=matter, upload=upload, acting_user=acting_user)
        if receipt.agency_id != matter.agency_id:
            raise ValidationError("所选记录不属于本单位。")
        service_proof_unused(matter, receipt)
        if not created and not matter_receipt_candidates(matter).filter(pk=receipt.pk).exists():
            raise ValidationError(
                f"记录#{receipt.pk}“{receipt.title}”不是本案的记录：送达回证须为本案当事人的扫描件，请在本页上传或选择本案的记录。"
            )
        now = timezone.now()
        service.receipt = receipt
        service.receipt_added_at = now
        service.details = {**service.details, "pending": [p for p in service.details.get("pending", []) if p != "receipt"]}
        if not service.details["pending"]:
            service.details.pop("pending")
        service.save(update_fields=["receipt", "receipt_added_at", "details"])
        service.records.add(receipt)
        event_record(
            kind="matter.service_receipt",
            subject=matter,
            acting_user=acting_user,
            data={"instrument": instrument.pk, "number": instrument.number, "service": service.pk, "receipt": receipt.pk},
        )
    return service


def _phone(value: str, label: str) -> str:
    value = text_for_column(value, label=label, model=ServiceAddress, field="fax" if "传真" in label else "phone")
    value = (value or "").strip()
    if value and (not set(value) <= PHONE_CHARS or sum(c.isdigit() for c in value) < 5):
        raise ValidationError(f"“{label}”只能填写号码（数字，可含 +、-、括号和空格）：{value[:30]}。")
    return value


def service_address_record(
    *,
    acting_user,
    matter: Matter,
    recipient: str,
    signed_on: date,
    scan=None,
    upload: ProofUpload | None = None,
    electronic: bool = False,
    postal_address: str = "",
    email: str = "",
    fax: str = "",
    phone: str = "",
) -> ServiceAddress:
    """Record the party's signed 送达地址确认书: where it accepts service and whether it agrees to
    electronic service at the e-mail, fax or phone number it gives (行政处罚法第六十一条第二款).

    Changes: a ServiceAddress row; one `matter.service_address` event. Raises PermissionDenied for
    someone who does not handle the matter; ValidationError for a missing recipient, scan or date, a
    date in the future, an agreement to electronic service without an address, a malformed address,
    or a scan that is not this matter's or is already used as proof of a service. A scan delivered as
    a file (`upload`) is filed once the checks pass, in the same transaction.
    """
    from matters.selectors import matter_receipt_candidates

    _may_serve(acting_user, matter)
    recipient = text_for_column(recipient, label="受送达人", model=ServiceAddress, field="recipient").strip()
    if not recipient:
        raise ValidationError("请填写受送达人。")
    postal_address = text_for_column(postal_address, label="送达地址", model=ServiceAddress, field="postal_address").strip()
    email = text_for_column(email, label="电子邮箱", model=ServiceAddress, field="email").strip()
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise ValidationError(f"电子邮箱格式不正确：{email[:60]}。") from None
    fax, phone = _phone(fax, "传真号码"), _phone(phone, "手机号码")
    if not isinstance(signed_on, date):
        raise ValidationError("请填写送达地址确认书的签署日期。")
    signed_on = year_bounded(signed_on, label="签署日期")
    time_not_future("签署日期", signed_on, timezone.now(), _rules(matter))
    if electronic and not (email or fax or phone):
        rule = _rules(matter).rule("service.electronic_requirements")
        raise ValidationError(
            f"当事人同意电子送达的，须在确认书中写明接收文书的电子邮箱、传真号码或手机号码（{rule.cited('、')}）。"
        )
    _one_of(scan, upload, "当事人签署的送达地址确认书扫描件")
    if scan is not None and scan.agency_id != matter.agency_id:
        raise ValidationError("所选记录不属于本单位。")
    with transaction.atomic():
        Matter.objects.select_for_update().get(pk=matter.pk)
        created = False
        if upload is not None:
            scan, created = proof_file(matter=matter, upload=upload, acting_user=acting_user)
            if scan.agency_id != matter.agency_id:
                raise ValidationError("所选记录不属于本单位。")
        service_proof_unused(matter, scan)
        if not created and not matter_receipt_candidates(matter).filter(pk=scan.pk).exists():
            raise ValidationError(f"记录#{scan.pk}“{scan.title}”不是本案未使用的记录，请上传本案当事人签署的确认书扫描件。")
        address = ServiceAddress.objects.create(
            matter=matter,
            party=matter.party,
            recipient=recipient,
            postal_address=postal_address,
            email=email,
            fax=fax,
            phone=phone,
            electronic=bool(electronic),
            signed_on=signed_on,
            scan=scan,
            recorded_by=acting_user,
        )
        event_record(
            kind="matter.service_address",
            subject=matter,
            acting_user=acting_user,
            data={
                "address": address.pk,
                "recipient": recipient,
                "electronic": address.electronic,
                "addresses": address.electronic_addresses,
                "signed_on": signed_on.isoformat(),
                "scan": scan.pk,
            },
        )
    return address


def requirement_rows(matter: Matter) -> list[dict]:
    """Each way of service with what the pack requires it to leave, in words (for the page)."""
    from matters.choices import ServiceMethod
    from matters.services import service_requirements

    rows = []
    for method, label in ServiceMethod.choices:
        codes, rule = service_requirements(matter, method)
        rows.append(
            {
                "method": method,
                "label": label,
                "requires": [REQUIREMENT_LABELS.get(c, c) for c in codes],
                "citation": rule.cited("、"),
            }
        )
    return rows


def service_scan_file(*, acting_user, matter: Matter, path, original_name: str, title: str):
    """File a scan uploaded for a service in the vault as this matter's party's record, so that it is
    one of this matter's records. Run it in the transaction of the service that uses the scan (the
    services here take the file as `upload` and do so themselves)."""
    _may_serve(acting_user, matter)
    upload = ProofUpload(path=path, original_name=original_name, title=title)
    return proof_file(matter=matter, upload=upload, acting_user=acting_user)[0]


def _one_of(record, upload, what: str) -> None:
    if record is None and upload is None:
        raise ValidationError(f"请选择或上传{what}。")
    if record is not None and upload is not None:
        raise ValidationError(f"{what}：请选择本案已有的记录或上传文件，二者选一。")

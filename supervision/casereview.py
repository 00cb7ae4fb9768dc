"""案卷评查: the supervisor scores a sealed case file item by item against the pack's scoring sheet
(structure after DB32/T 4181—2021 附录B: 基本标准 that fail the file outright, then scored items).
Writes, each with its ledger event."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from archive.choices import CaseFileState
from archive.models import CaseFile
from ledger.services import event_record
from policy.selectors import agency_rules
from supervision.oversight_models import CaseReview
from supervision.oversight_selectors import supervisor_required
from utilities.bounds import TEXT_LINE, TEXT_LONG, text_bounded

SHEET_RULE = "supervision.case_review_sheet"
MARK_RULE = "supervision.case_review_pass_mark"


def review_sheet(agency) -> dict:
    """The scoring sheet the agency's pack sets: rows, full marks, pass mark and their basis."""
    rules = agency_rules(agency)
    sheet, mark = rules.rule(SHEET_RULE), rules.rule(MARK_RULE)
    rows = [
        {"code": r["code"], "part": r["part"], "item": r["item"], "points": int(r["points"]),
         "veto": bool(r.get("veto")), "source": r["source"]}
        for r in sheet.value
    ]
    return {
        "rows": rows,
        "full_marks": sum(r["points"] for r in rows if not r["veto"]),
        "pass_mark": int(mark.value),
        "basis": sheet.cited("、"),
        "pass_basis": mark.cited("、"),
    }


def _points(raw, row) -> int:
    label = f"“{row['item']}”"
    if raw in (None, ""):
        raise ValidationError(f"请为{label}打分（0至{row['points']}分）。")
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValidationError(f"{label}的得分应为整数。") from None
    if not 0 <= value <= row["points"]:
        raise ValidationError(f"{label}的得分应在0至{row['points']}分之间，现为{value}分。")
    return value


@transaction.atomic
def casereview_score(
    *, case_file: CaseFile, acting_user, scores: dict, vetoed=(), notes: dict | None = None, comment: str = ""
) -> CaseReview:
    """Score `case_file` (sealed: 已归档) against the pack's sheet: `scores` {code: points} for every
    scored item, `vetoed` the codes of the 基本标准 it fails, `notes` {code: text}. The file passes
    when no 基本标准 fails and the total reaches the pass mark. One review per matter and year.
    Raises ValidationError for a file not sealed, a missing, unknown or out-of-range score."""
    supervisor_required(acting_user)
    case_file = CaseFile.objects.select_related("matter", "section").get(pk=case_file.pk)
    if case_file.agency_id != acting_user.agency_id:
        raise ValidationError("该案卷不属于本单位。")
    if case_file.state != CaseFileState.SEALED:
        raise ValidationError(f"只有已归档的案卷可以评查，该案卷为“{case_file.get_state_display()}”；请待档案管理员归档后再评查。")
    sheet = review_sheet(case_file.agency)
    codes = {r["code"] for r in sheet["rows"]}
    unknown = (set(scores or {}) | set(vetoed or ()) | set(notes or {})) - codes
    if unknown:
        raise ValidationError("评分表中没有这些项目：" + "、".join(sorted(unknown)))
    vetoes = {r["code"] for r in sheet["rows"] if r["veto"]}
    if set(vetoed or ()) - vetoes:
        raise ValidationError("只有基本标准（否决项）可以判为不符合：" + "、".join(sorted(set(vetoed) - vetoes)))
    given = {r["code"]: _points((scores or {}).get(r["code"]), r) for r in sheet["rows"] if not r["veto"]}
    clean_notes = {}
    for code, text in (notes or {}).items():
        if text := text_bounded(text, label="评查说明", max_length=TEXT_LINE):
            clean_notes[code] = text
    failed = sorted(set(vetoed or ()))
    for code in failed:
        if code not in clean_notes:
            item = next(r["item"] for r in sheet["rows"] if r["code"] == code)
            raise ValidationError(f"基本标准“{item}”判为不符合的，请写明理由。")
    comment = text_bounded(comment, label="评查意见", max_length=TEXT_LONG)
    total = sum(given.values())
    year = timezone.localdate().year
    review = CaseReview(
        agency=case_file.agency, section=case_file.section, matter=case_file.matter, case_file=case_file,
        year=year, sheet=sheet["rows"], scores=given, notes=clean_notes, vetoed=failed, total=total,
        full_marks=sheet["full_marks"], pass_mark=sheet["pass_mark"],
        passed=not failed and total >= sheet["pass_mark"], basis=sheet["basis"][:300], comment=comment,
        reviewed_by=acting_user, reviewed_at=timezone.now(),
    )
    if CaseReview.objects.filter(matter=case_file.matter, year=year).exists():
        raise ValidationError(f"该案件{year}年已评查过，同一案件每年评查一次。")
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError:
        raise ValidationError(f"该案件{year}年已评查过，同一案件每年评查一次。") from None
    event_record(kind="casereview.score", subject=review, acting_user=acting_user,
                 data={"case_file": case_file.pk, "matter": case_file.matter_id, "total": total,
                       "vetoed": failed, "passed": review.passed})
    return review

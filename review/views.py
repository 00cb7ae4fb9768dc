from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from matters.selectors import matter_for, matter_read_logged, matter_refused
from matters.services import matter_mark_major
from org.permissions import can, capability_required
from policy.selectors import agency_rules
from review import selectors, services
from review.choices import ReviewState
from review.forms import (
    AssignForm,
    DecideForm,
    ExtendForm,
    MajorForm,
    OpinionForm,
    ProvideForm,
    ReassignForm,
    SubmissionForm,
    SupplementForm,
)
from review.scope import GATED, gated_transition, review_required
from zhifa.forms import form_refusal


def _matter(request, pk, purpose: str):
    """The matter through the selector that decides what this viewer may see. A GET shows it (a
    read); a POST is an action, logged by its service, or as denied when refused."""
    return matter_for(viewer=request.user, pk=pk, purpose=purpose, read=request.method == "GET")


def _shown_again(request, matter, purpose: str) -> None:
    """A POST that renders the page again (invalid input) shows the matter: a read."""
    if request.method == "POST":
        matter_read_logged(viewer=request.user, matter=matter, purpose=purpose)


def _after_submit(request, review):
    if can(request.user, "review.view"):
        return redirect("review:detail", review.pk)
    return redirect("review:submit", review.matter_id)


@capability_required("review.view")
def workbench(request):
    return render(
        request,
        "review/workbench.html",
        {
            "bench": selectors.workbench(viewer=request.user),
            "staffing": selectors.staffing_for_viewer(viewer=request.user),
        },
    )


@capability_required("review.view")
def staffing(request):
    return render(request, "review/staffing.html", {"staffing": selectors.staffing_for_viewer(viewer=request.user)})


@capability_required("review.view")
def detail(request, pk: int):
    review = selectors.review_view(viewer=request.user, pk=pk)
    user = request.user
    conduct = can(user, "review.conduct") and review.state in (ReviewState.REVIEWING, ReviewState.SUPPLEMENTING)
    approve = can(user, "review.approve")
    return render(
        request,
        "review/detail.html",
        {
            "review": review,
            "materials": selectors.review_materials(viewer=user, review=review),
            "opinion": getattr(review, "opinion", None),
            "assign_form": AssignForm(agency=user.agency) if conduct else None,
            "supplement_form": SupplementForm() if conduct and review.state == ReviewState.REVIEWING else None,
            "extend_form": ExtendForm()
            if approve and not review.extended_at and review.state == ReviewState.REVIEWING
            else None,
            "decide_form": DecideForm() if approve and review.state == ReviewState.OPINION else None,
            "reassign_form": ReassignForm(review=review)
            if review.state in (ReviewState.REVIEWING, ReviewState.SUPPLEMENTING)
            and review.assignments.exists()
            and services.may_reassign(user, review)
            else None,
        },
    )


@capability_required("review.submit")
def submit(request, matter_pk: int):
    matter = _matter(request, matter_pk, "送法制审核")
    rules = agency_rules(matter.agency)
    transition = request.GET.get("transition") or gated_transition(matter)
    if transition not in GATED:
        transition = "decide"
    required, hits = review_required(matter, transition)
    records = selectors.material_record_choices(viewer=request.user, matter=matter, log=False)
    form = SubmissionForm(
        request.POST or None,
        application_items=rules.value("review.application_items", default=[]),
        materials=services.material_rows(matter, rules),
        records=records,
    )
    if request.method == "POST" and form.is_valid():
        review = _submitted(request, matter, form, transition)
        if review is not None:
            messages.success(request, "已送法制审核。")
            return _after_submit(request, review)
    _shown_again(request, matter, "送法制审核")
    selectors.material_choices_logged(viewer=request.user, matter=matter, records=records)
    return render(
        request,
        "review/submit.html",
        {"matter": matter, "form": form, "required": required, "hits": hits, "reviews": matter.legal_reviews.all()},
    )


def _submitted(request, matter, form, transition):
    """Resolve the picked records for the submitter (a record out of sight or of another matter is
    refused and logged, before anything is written), then submit. None when refused."""
    submission = form.submission()
    try:
        selectors.material_records_checked(viewer=request.user, matter=matter, materials=submission["materials"])
    except (ValidationError, PermissionDenied) as exc:
        form_refusal(form, exc)
        return None
    try:
        return services.review_submit(matter=matter, acting_user=request.user, transition=transition, **submission)
    except ValidationError as exc:
        form_refusal(form, exc)
    except PermissionDenied as exc:
        matter_refused(viewer=request.user, matter=matter, reason=f"送法制审核被拒绝：{exc}")
        raise
    return None


@capability_required("review.conduct")
def mark_major(request, matter_pk: int):
    matter = _matter(request, matter_pk, "标记重大案件")
    form = MajorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            matter_mark_major(matter=matter, reason=form.cleaned_data["reason"], acting_user=request.user)
        except ValidationError as exc:
            form_refusal(form, exc)
        except PermissionDenied as exc:
            matter_refused(viewer=request.user, matter=matter, reason=f"标记重大案件被拒绝：{exc}")
            raise
        else:
            messages.success(request, f"已将“{matter.title}”标记为重大案件。")
            return redirect("review:workbench")
    _shown_again(request, matter, "标记重大案件")
    return render(
        request,
        "zhifa/form_page.html",
        {"form": form, "heading": f"标记为重大案件：{matter.title}", "submit": "标记"},
    )


def _post_action(request, pk, form_class, call, done, **form_kwargs):
    review = selectors.review_get(viewer=request.user, pk=pk)
    form = form_class(request.POST, **form_kwargs)
    try:
        if not form.is_valid():
            raise ValidationError([f"{form.fields[f].label if f in form.fields else ''}：{'；'.join(e)}"
                                   for f, e in form.errors.items()])
        call(review, form)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("review:detail", review.pk)


@capability_required("review.conduct", methods=("POST",))
def assign(request, pk: int):
    return _post_action(
        request, pk, AssignForm,
        lambda review, form: services.review_assign(review=review, acting_user=request.user, **form.cleaned_data),
        "已指派审核人员。", agency=request.user.agency,
    )


@capability_required("review.reassign", methods=("POST",))
def reassign(request, pk: int):
    review = selectors.review_get(viewer=request.user, pk=pk, capability="review.reassign")

    def call(review, form):
        data = form.cleaned_data
        try:
            services.review_reassign(review=review, assignment=data["assignment"], reviewer=data["reviewer"],
                                     reason=data["reason"], acting_user=request.user)
        except PermissionDenied as exc:
            matter_refused(viewer=request.user, matter=review.matter, reason=f"调整审核人员被拒绝：{exc}")
            raise

    return _post_action(request, review.pk, ReassignForm, call, "已调整审核人员。", review=review)


@capability_required("review.conduct", methods=("POST",))
def supplement(request, pk: int):
    def call(review, form):
        services.review_supplement_request(
            review=review,
            items=form.cleaned_data["items"].splitlines(),
            supply_by=form.cleaned_data["supply_by"],
            note=form.cleaned_data["note"],
            acting_user=request.user,
        )

    return _post_action(request, pk, SupplementForm, call, "已要求补正材料，审核期限暂停计算。")


@capability_required("review.approve", methods=("POST",))
def extend(request, pk: int):
    return _post_action(
        request, pk, ExtendForm,
        lambda review, form: services.review_extend(review=review, acting_user=request.user, **form.cleaned_data),
        "已批准延长审核期限。",
    )


@capability_required("review.approve", methods=("POST",))
def decide(request, pk: int):
    return _post_action(
        request, pk, DecideForm,
        lambda review, form: services.review_leader_decide(review=review, acting_user=request.user,
                                                           **form.cleaned_data),
        "已记录领导决定。",
    )


@capability_required("review.submit")
def provide(request, pk: int):
    review = selectors.review_get(viewer=request.user, pk=pk, capability="review.submit")
    pending = review.supplements.filter(supplied_at__isnull=True).last()
    records = selectors.material_record_choices(viewer=request.user, matter=review.matter, log=False)
    form = ProvideForm(request.POST or None, items=pending.items if pending else [], records=records)
    if request.method == "POST" and form.is_valid():
        materials = form.materials()
        try:
            selectors.material_records_checked(viewer=request.user, matter=review.matter, materials=materials)
            services.review_supplement_provide(review=review, materials=materials, acting_user=request.user)
        except (ValidationError, PermissionDenied) as exc:
            form_refusal(form, exc)  # a picked record out of sight or of another matter: refused and logged
        else:
            messages.success(request, "已补正材料，审核期限继续计算。")
            return _after_submit(request, review)
    selectors.material_choices_logged(viewer=request.user, matter=review.matter, records=records)
    return render(
        request,
        "review/provide.html",
        {"form": form, "review": review, "heading": f"补正材料：{review.matter.title}"},
    )


@capability_required("review.conduct")
def opinion(request, pk: int):
    read = selectors.review_view if request.method == "GET" else selectors.review_get
    review = read(viewer=request.user, pk=pk)
    rules = agency_rules(review.agency)
    form = OpinionForm(
        request.POST or None,
        checklist=rules.value("review.checklist", default=[]),
        outcomes=services.outcome_choices(rules),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.review_opinion_issue(review=review, acting_user=request.user, **form.arguments())
        except ValidationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, "已出具法制审核意见书。")
            return redirect("review:detail", review.pk)
    return render(request, "review/opinion.html", {"review": review, "form": form})

from pathlib import Path

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ledger.keys import configured_witnesses, verifier_key
from ledger.models import Checkpoint, Head, Witness
from ledger.note import MAX_TREE_SIZE
from ledger.selectors import latest_checkpoint, published_checkpoints, published_note
from ledger.sequencer import pending_count
from ledger.services import signing_paused
from org.permissions import capability_required, public

CHECKPOINTS_PER_PAGE = 50

VERIFIER = Path(settings.BASE_DIR) / "tools" / "verify_bundle.py"


@capability_required("ledger.view")
def status(request):
    head = Head.objects.filter(pk=1).first()
    paused = signing_paused()
    # While signing is paused the page shows the newest checkpoint there is rather than sign one.
    checkpoint = Checkpoint.objects.order_by("-size").first() if paused else latest_checkpoint()
    return render(
        request,
        "ledger/status.html",
        {
            "size": head.size if head else 0,
            "pending": pending_count(),
            "checkpoint": checkpoint,
            "verifier_key": verifier_key(),
            "witnesses": Witness.objects.all(),
            "signing_paused": paused,
        },
    )


@capability_required("ledger.view")
def verifier_download(request):
    """The offline verifier, so a court or a party can take it from the agency on a closed network."""
    return FileResponse(
        VERIFIER.open("rb"), as_attachment=True, filename="verify_bundle.py", content_type="text/x-python"
    )


# --- the public portal: checkpoints leave the database ----------------------------------------------


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


_NONE_YET = "本单位尚未签署台账检查点。检查点由平台定期签署，请稍后再来。\n"


@public
@require_GET
def public_checkpoint(request):
    """The latest checkpoint as a C2SP signed note, with the witnesses' cosignatures."""
    checkpoint = Checkpoint.objects.order_by("-size", "-id").first()
    return _text(published_note(checkpoint)) if checkpoint else _text(_NONE_YET, 404)


@public
@require_GET
def public_checkpoint_at(request, size: int):
    checkpoint = Checkpoint.objects.filter(size=size).first() if size <= MAX_TREE_SIZE else None
    if checkpoint is None:
        return _text(f"没有大小为 {size} 的已签名检查点。全部检查点见 /public/ledger/checkpoints/。\n", 404)
    return _text(published_note(checkpoint))


@public
@require_GET
def public_key(request):
    """The key that verifies the agency's checkpoint signatures."""
    return _text(verifier_key() + "\n")


@public
@require_GET
def public_checkpoints(request):
    """Every signed checkpoint, newest first, a page at a time."""
    page = Paginator(published_checkpoints(), CHECKPOINTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/public_checkpoints.html",
        {"page": page, "verifier_key": verifier_key(), "witnesses": configured_witnesses()},
    )

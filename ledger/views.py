from pathlib import Path

from django.conf import settings
from django.http import FileResponse
from django.shortcuts import render

from ledger.keys import verifier_key
from ledger.models import Head
from ledger.selectors import latest_checkpoint
from org.permissions import capability_required

VERIFIER = Path(settings.BASE_DIR) / "tools" / "verify_bundle.py"


@capability_required("ledger.view")
def status(request):
    head = Head.objects.filter(pk=1).first()
    return render(
        request,
        "ledger/status.html",
        {"size": head.size if head else 0, "checkpoint": latest_checkpoint(), "verifier_key": verifier_key()},
    )


@capability_required("ledger.view")
def verifier_download(request):
    """The offline verifier, so a court or a party can take it from the agency on a closed network."""
    return FileResponse(
        VERIFIER.open("rb"), as_attachment=True, filename="verify_bundle.py", content_type="text/x-python"
    )

"""How field work joins matters without matters importing it: an inspection gets its 检查码 with its
plan, before anyone goes on site; every 文书 PDF carries a QR code of its verification page, and
the token in it is registered when the 文书 is issued."""

from django.conf import settings

from matters import gates, rendering

# QR code position on a 文书 page: top right, inside the 37 mm top margin, aligned with the 26 mm
# right margin the layout uses.
QR_SIZE_MM = 20
QR_TOP_MM = 10
QR_RIGHT_MM = 26
# The identifier instrument_issue gives a 文书's files (matters/instruments.py).
INSTRUMENT_PREFIX = "zhifa-instrument-"


def check_url(token: str) -> str:
    return f"{settings.ZHIFA_PUBLIC_URL}/public/check/{token}/"


def visit_url(token: str) -> str:
    return f"{settings.ZHIFA_PUBLIC_URL}/public/visit/{token}/"


def _on_plan(matter, step) -> None:
    from field.services import inspection_code_issue

    inspection_code_issue(matter=matter, acting_user=step.acted_by)


def _stamp(pdf, *, identifier: str, number: str) -> None:
    from field import qr
    from field.services import check_token

    if not identifier.startswith(INSTRUMENT_PREFIX):
        return  # not an issued 文书 (an access register, a disc log): nothing to check it against

    qr.draw_pdf(
        pdf, check_url(check_token(identifier)), x=pdf.w - QR_RIGHT_MM - QR_SIZE_MM, y=QR_TOP_MM, size=QR_SIZE_MM
    )


def _on_issued(instrument, *, identifier: str) -> None:
    from field.services import instrument_check_register

    instrument_check_register(instrument=instrument, identifier=identifier)


def register() -> None:
    gates.register_after("plan", _on_plan)
    rendering.register_pdf_stamp(_stamp)
    rendering.register_issued(_on_issued)

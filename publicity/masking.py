"""What the public sees of a decision: one function, `public_view`, and the maskers it uses.

Personal data of a natural person is masked (000 公示制度第十五条: 个人隐私 is processed before
publication); passages marked as trade secrets are never published. The portal, the feeds, the
API and the reviewer's preview all show `public_view`'s output and nothing else.
"""

from enterprises.choices import PartyKind
from publicity.choices import Category

PUBLIC_FIELDS = (
    "agency",
    "category",
    "party",
    "party_kind",
    "party_id",
    "party_address",
    "party_phone",
    "instrument_number",
    "cause",
    "basis",
    "result",
    "decided_on",
)
# The fields of a content snapshot that hold a natural person's personal data.
PERSONAL_FIELDS = ("party_name", "party_id_number", "party_phone", "party_address")
WITHHELD_MARK = "〔涉及商业秘密，不予公开〕"
HIDDEN_NAME = "自然人"
NAME_DISPLAYS = ("full", "masked", "hidden")


def mask_middle(value: str, keep_start: int, keep_end: int) -> str:
    value = value or ""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[len(value) - keep_end :]


def mask_id_number(value: str) -> str:
    """身份证号码: only the first and last character stay."""
    return mask_middle(value, 1, 1)


def mask_phone(value: str) -> str:
    """电话: a mobile number keeps its first three and last four digits, others the last two."""
    value = (value or "").strip()
    if len(value) == 11 and value.isdigit():
        return mask_middle(value, 3, 4)
    return mask_middle(value, 0, 2)


def mask_address(value: str) -> str:
    """住址: the first six characters (province and city) stay, the rest is hidden."""
    value = (value or "").strip()
    if not value:
        return ""
    return value[:6] + "****" if len(value) > 6 else "****"


def mask_name(value: str, display: str) -> str:
    """姓名 as the pack's `publicity.natural_person_name_display` says: full, surname only, or hidden."""
    value = (value or "").strip()
    if display == "full":
        return value
    if display == "hidden" or not value:
        return HIDDEN_NAME
    return value[0] + "*" * (len(value) - 1)


def _withhold(text: str, secrets: list[str]) -> str:
    text = text or ""
    for passage in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(passage, WITHHELD_MARK)
    return text


def public_view(content: dict, *, name_display: str) -> dict:
    """The public form of a content snapshot: exactly PUBLIC_FIELDS, every personal field of a
    natural person masked, every trade-secret passage replaced."""
    natural = content.get("party_kind") == PartyKind.NATURAL_PERSON
    secrets = list(content.get("withheld") or [])
    if natural:
        party = mask_name(content.get("party_name", ""), name_display)
        party_id = mask_id_number(content.get("party_id_number", ""))
        address = mask_address(content.get("party_address", ""))
        phone = mask_phone(content.get("party_phone", ""))
        # A person's own data must not leak through the free text either.
        personal = {
            content.get("party_name", ""): party,
            content.get("party_id_number", ""): party_id,
            content.get("party_address", ""): address,
            content.get("party_phone", ""): phone,
        }
    else:
        party = content.get("party_name", "")
        party_id = content.get("party_id_number", "")
        address = content.get("party_address", "")
        phone = content.get("party_phone", "")
        personal = {}
    view = {
        "agency": content.get("agency", ""),
        "category": Category(content["category"]).label,
        "party": party,
        "party_kind": PartyKind(content["party_kind"]).label,
        "party_id": party_id,
        "party_address": address,
        "party_phone": phone,
        "instrument_number": content.get("instrument_number", ""),
        # The public 事由 is the summary staff wrote for the public and the reviewer checked, never
        # the matter's internal title (`cause`); a snapshot from before summaries keeps its cause.
        "cause": _withhold(content["summary"] if "summary" in content else content.get("cause", ""), secrets),
        "basis": _withhold(content.get("basis", ""), secrets),
        "result": _withhold(content.get("result", ""), secrets),
        "decided_on": content.get("decided_on", ""),
    }
    for key in ("cause", "basis", "result"):
        view[key] = _replace_personal(view[key], personal)
    assert tuple(view) == PUBLIC_FIELDS
    return view


def _replace_personal(text: str, personal: dict[str, str]) -> str:
    for raw in sorted((r for r in personal if len(r) >= 2), key=len, reverse=True):
        text = text.replace(raw, personal[raw])
    return text

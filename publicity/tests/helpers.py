"""Shared builders for publicity tests: drafts made through the services, as matters would."""

from datetime import date

from django.utils import timezone

from publicity.services import publication_draft, publication_publish, publication_review

PERSON = {
    "party_kind": "natural_person",
    "party_name": "王小明",
    "party_id_number": "210402198807071234",
    "party_phone": "13812345678",
    "party_address": "辽宁省抚顺市新抚区西一路12号3单元501室",
}
COMPANY = {
    "party_kind": "legal_person",
    "party_name": "抚顺某某化工有限公司",
    "party_id_number": "91210400MA0XXXXX1A",
    "party_phone": "024-52345678",
    "party_address": "抚顺市望花区和平路88号",
}


def draft(agency, user, *, party=None, category="penalty", decided_on: date | None = None, **kwargs):
    fields = dict(party or COMPANY)
    defaults = {
        "instrument_number": kwargs.pop("instrument_number", f"抚应急罚决〔2026〕{timezone.now().microsecond}号"),
        "cause": "未按规定对安全设备进行经常性维护、保养",
        "basis": "《中华人民共和国安全生产法》第九十九条第（二）项",
        "result": "罚款人民币二万元",
    }
    return publication_draft(
        agency=agency,
        category=category,
        decided_on=decided_on or timezone.localdate(),
        acting_user=user,
        **(fields | defaults | kwargs),
    )


def publish(publication, reviewer):
    publication_review(publication=publication, acting_user=reviewer)
    return publication_publish(publication=publication, acting_user=reviewer)

"""The officer puts right a service that lacks its proof by clicking: opens 我的提醒 from the bell, finds the
signed receipt by name, selects it and the finding closes (行政处罚法第六十一条: 送达回证)."""

import pytest

from supervision.tests.test_proof_picker import unproven_service
from zhifa.tests.test_role_days_browser import Desk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_officer_finds_and_selects_the_receipt_and_the_finding_closes(browser, live_server, desk):
    from matters.models import Service

    service, finding = unproven_service(desk)
    wanted = desk.receipt("王某补签送达回执.docx")
    desk.receipt("仓库检查笔录.docx")

    li = Desk(browser, live_server.url, desk.officer)
    li.click("header.top a.bell")
    page = li.page
    form = page.locator(f"#proof-{finding.pk}")
    page.fill(f"#id_proof{finding.pk}_signer", "王某")
    page.fill(f"#id_proof{finding.pk}_receipt_q", "补签")
    li.click(f"#proof-{finding.pk} button:has-text('查找回执')")
    receipts = form.locator("select[name=receipt] option")
    assert receipts.count() == 2 and "王某补签送达回执" in receipts.nth(1).inner_text()  # ——不补充—— and the one found
    assert page.input_value(f"#id_proof{finding.pk}_signer") == "王某"  # what was filled in stays
    li.fill(f"proof{finding.pk}_", {"receipt": "王某补签送达回执"})

    text = li.click(f"#proof-{finding.pk} button:has-text('补充')")
    assert "送达凭证已补充，该问题已纠正" in text, text
    finding.refresh_from_db()
    assert not finding.is_open and list(Service.objects.get(pk=service.pk).records.all()) == [wanted]
    assert Service.objects.get(pk=service.pk).details["signer"] == "王某"
    li.close()

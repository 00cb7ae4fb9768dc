"""A prefilled date reaches the browser in the only form its date inputs accept (ISO): Django's zh-hans
default wrote 2026/12/02, which the browser drops, so the 撤回 form of a publication could not be sent
without retyping the date that was already shown as its default."""

import re
from datetime import date, datetime

from django.utils import timezone


def test_prefilled_dates_render_as_iso_and_slashes_still_parse():
    from publicity.forms import WithdrawForm
    from records.forms import FieldReturnForm

    html = str(WithdrawForm(initial={"occurred_on": date(2026, 12, 2)})["occurred_on"])
    assert 'type="date"' in html and 'value="2026-12-02"' in html, html
    moment = timezone.make_aware(datetime(2026, 12, 2, 9, 30))
    html = str(FieldReturnForm(initial={"away_from": moment})["away_from"])
    assert re.search(r'type="datetime-local"[^>]*value="2026-12-02T09:30"', html), html
    # What a person may still type by hand is read as before.
    form = WithdrawForm({"reason": "原决定被撤销", "occurred_on": "2026/12/01"})
    assert form.is_valid() and form.cleaned_data["occurred_on"] == date(2026, 12, 1)

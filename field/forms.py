from django import forms

from field.choices import RatingScore
from field.services import RATING_COMMENT_MAX
from utilities.forms import BoundedForm


class RatingForm(BoundedForm):
    score = forms.TypedChoiceField(label="评价", choices=RatingScore.choices, coerce=int, widget=forms.RadioSelect)
    comment = forms.CharField(label="意见（可不填）", max_length=RATING_COMMENT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CheckForm(BoundedForm):
    """The copy in hand: a PDF file, or its SHA-256 pasted."""

    file = forms.FileField(label="上传手中的文书PDF", required=False)
    sha256 = forms.CharField(label="或粘贴其SHA-256值", max_length=64, required=False)


class ArrivalForm(BoundedForm):
    """电子送达: the photo of the party's own screen showing the message arrived, and when it did."""

    sent_record = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    arrived_at = forms.DateTimeField(
        label="到达时间（当事人收到邮件的时间）",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )
    photo = forms.FileField(
        label="到达回执：拍摄当事人手机上收到的邮件",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

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

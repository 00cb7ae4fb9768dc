"""The base of every form: no text or number field comes in without a bound."""

from django import forms
from django.core.validators import MaxLengthValidator, MaxValueValidator

from utilities.bounds import INT_MAX, TEXT_LINE, TEXT_LONG, decimal_bounded


def bound_fields(fields) -> None:
    """Give each text field without a max_length one (a paragraph TEXT_LONG, a line TEXT_LINE) and
    each integer field without a max_value INT_MAX; a field that declares its own bound keeps it."""
    for field in fields.values():
        if isinstance(field, forms.CharField) and field.max_length is None:
            limit = TEXT_LONG if isinstance(field.widget, forms.Textarea) else TEXT_LINE
            field.max_length = limit
            field.validators.append(MaxLengthValidator(limit))
            field.widget.attrs.setdefault("maxlength", str(limit))
        elif isinstance(field, forms.IntegerField) and field.max_value is None:
            field.max_value = INT_MAX
            field.validators.append(MaxValueValidator(INT_MAX))
            field.widget.attrs.setdefault("max", str(INT_MAX))


class Bounded:
    """Mixin: bound_fields applied to a form's fields, declared and added in __init__ alike."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_fields(self.fields)

    def full_clean(self):
        bound_fields(self.fields)  # fields a subclass added after this __init__ ran
        super().full_clean()


class BoundedForm(Bounded, forms.Form):
    """forms.Form whose texts and numbers are bounded."""


class BoundedModelForm(Bounded, forms.ModelForm):
    """forms.ModelForm whose texts and numbers are bounded."""


class ColumnDecimalField(forms.DecimalField):
    """A decimal form field that refuses, in the words of utilities.bounds, what its column cannot
    keep: 罚款数额不能为负数, 罚款数额最多保留两位小数, 罚款数额超出上限."""

    def __init__(self, *, max_digits: int, decimal_places: int, minimum=0, maximum=None, **kwargs):
        self.bounds = {"max_digits": max_digits, "decimal_places": decimal_places, "minimum": minimum,
                      "maximum": maximum}
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return decimal_bounded(value, label=str(self.label or "数额"), **self.bounds)

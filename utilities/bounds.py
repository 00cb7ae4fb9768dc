"""Bounds on what comes in: every number against its column, every text against its length.

A value out of bounds is refused with a Chinese ValidationError naming the field, before anything
is written or stored, so both database engines see only what their columns can hold (SQLite would
otherwise keep a too-large Decimal as a REAL and fail on reading it back).
"""

from decimal import Decimal, InvalidOperation, localcontext

from django.core.exceptions import ValidationError

# Product limits (no regulation sets them): what a person writes in one field of a form.
TEXT_LINE = 500  # a one-line field (place, name of a witness, a reason given in a line)
TEXT_LONG = 20_000  # a paragraph field (facts, opinion, draft decision)
QUERY_MAX = 200  # a search box
# Dates a person may enter for an enforcement step: calendars and deadlines are computed from them.
YEAR_MIN, YEAR_MAX = 1990, 2100
# Portable integer ranges (Django's PositiveIntegerField and BigAutoField on every engine).
INT_MAX = 2_147_483_647
ID_MAX = 9_223_372_036_854_775_807

_DIGITS = "零一两三四五六七八九"


def _places(n: int) -> str:
    return _DIGITS[n] if n < len(_DIGITS) else str(n)


def label_of(label: str) -> str:
    """A field label without its trailing unit: 罚款数额（元） → 罚款数额."""
    return label.split("（", 1)[0].strip() or label


def decimal_bounded(
    raw,
    *,
    label: str,
    max_digits: int,
    decimal_places: int,
    minimum: Decimal | int | None = 0,
    maximum: Decimal | int | None = None,
) -> Decimal:
    """A Decimal from user input that fits a DecimalField(max_digits, decimal_places).

    Raises ValidationError (Chinese, naming the field): not a number, negative (when `minimum` is 0),
    more places than the column keeps, or more integer digits than it holds.
    """
    name = label_of(label)
    if isinstance(raw, bool):
        raise ValidationError(f"{name}应为数字，例如 1500 或 1500.50。")
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{name}应为数字，例如 1500 或 1500.50。") from None
    if not value.is_finite():
        raise ValidationError(f"{name}应为有限的数字。")
    if minimum is not None and value < minimum:
        if minimum == 0:
            raise ValidationError(f"{name}不能为负数。")
        raise ValidationError(f"{name}不能小于 {minimum}。")
    ceiling = Decimal(10) ** (max_digits - decimal_places) - Decimal(1).scaleb(-decimal_places)
    if maximum is not None:
        ceiling = min(ceiling, Decimal(maximum))
    if abs(value) > ceiling:
        raise ValidationError(f"{name}超出上限：最大为 {ceiling:f}。")
    step = Decimal(1).scaleb(-decimal_places)
    with localcontext() as context:
        context.prec = max(context.prec, max_digits + len(value.as_tuple().digits) + 2)
        if value != value.quantize(step):
            if decimal_places == 0:
                raise ValidationError(f"{name}应为整数。")
            raise ValidationError(f"{name}最多保留{_places(decimal_places)}位小数。")
        return value.quantize(step)


def decimal_for_column(raw, *, label: str, model, field: str, **bounds) -> Decimal:
    """decimal_bounded with the digits and places of `model.field`, so the column is the one source."""
    column = model._meta.get_field(field)
    return decimal_bounded(
        raw, label=label, max_digits=column.max_digits, decimal_places=column.decimal_places, **bounds
    )


def int_bounded(raw, *, label: str, minimum: int = 0, maximum: int = INT_MAX) -> int:
    """An integer from user input within [minimum, maximum]; Chinese ValidationError otherwise."""
    name = label_of(label)
    if isinstance(raw, bool):
        raise ValidationError(f"{name}应为整数。")
    try:
        value = raw if isinstance(raw, int) else int(str(raw).strip())
    except ValueError:
        raise ValidationError(f"{name}应为整数。") from None
    if value < minimum:
        raise ValidationError(f"{name}不能为负数。" if minimum == 0 else f"{name}不能小于 {minimum}。")
    if value > maximum:
        raise ValidationError(f"{name}超出上限：最大为 {maximum}。")
    return value


def text_bounded(value, *, label: str, max_length: int) -> str:
    """Text from user input of at most `max_length` characters (stripped)."""
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        raise ValidationError(f"{label_of(label)}含有不可见的控制字符（NUL），请删除后重试。")
    if len(text) > max_length:
        raise ValidationError(
            f"{label_of(label)}过长：最多 {max_length} 个字，现有 {len(text)} 个字。请精简后重试。"
        )
    return text


def text_for_column(value, *, label: str, model, field: str) -> str:
    """text_bounded with the max_length of a CharField `model.field`."""
    return text_bounded(value, label=label, max_length=model._meta.get_field(field).max_length)


def query_text(params, name: str = "q", *, label: str = "查询内容", max_length: int = QUERY_MAX) -> str:
    """A search term from the query string, refused in Chinese when longer than a search box holds."""
    value = params.get(name, "") or ""
    if len(value) > max_length:
        raise ValidationError(f"{label}过长：最多 {max_length} 个字，请缩短后重试。")
    if "\x00" in value:
        raise ValidationError(f"{label}含有不可见的控制字符（NUL），请删除后重试。")
    return value.strip()


def year_bounded(value, *, label: str):
    """A date or datetime whose year lies in [YEAR_MIN, YEAR_MAX]; Chinese ValidationError otherwise."""
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise ValidationError(f"{label_of(label)}应在 {YEAR_MIN} 年至 {YEAR_MAX} 年之间。")
    return value

from datetime import date

from django.core.exceptions import ValidationError


def parse_date(value: str | None, label: str = "日期", *, default: date | None = None) -> date:
    """A YYYY-MM-DD date from user input, or a Chinese ValidationError naming the field."""
    if not value:
        if default is not None:
            return default
        raise ValidationError(f"请提供{label}（YYYY-MM-DD）。")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{label}“{value}”不是有效日期，应为 YYYY-MM-DD。") from None

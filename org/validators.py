from django.core.exceptions import ValidationError
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError


def validate_uscc(value: str) -> None:
    """统一社会信用代码 (GB 32100-2015): 18 characters with a check character."""
    try:
        uscc.validate(value)
    except StdnumError:
        raise ValidationError(
            "统一社会信用代码“%(value)s”无效，请核对18位代码及校验位。", params={"value": value}
        ) from None


def validate_resident_id(value: str) -> None:
    """居民身份证号码 (GB 11643): 18 characters with a check character."""
    try:
        ric.validate(value)
    except StdnumError:
        raise ValidationError("身份证号码“%(value)s”无效。", params={"value": value}) from None

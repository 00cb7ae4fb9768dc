"""Input formats for zh-hans: the browser's date and datetime-local inputs read and write ISO dates
(2026-12-02, 2026-12-02T09:30) and drop any other value, so a form's initial date must render in ISO
first. Django's zh_Hans module puts 2026/12/02 first, which left every prefilled date field empty
and the form unsendable. The other formats are Django's; the rest of the locale stays Django's."""

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y/%m/%d %H:%M:%S.%f",
    "%Y年%m月%d日 %H:%M",
]

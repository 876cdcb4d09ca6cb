"""One cell's text -> the value a column stores, or a ValueProblem saying why not.

The field checks themselves are customers.checks; this module reads what files
hold around them: amounts in yuan with thousands separators, dates as Excel and
Chinese people write them, industries by letter, code or Chinese name.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal

import phonenumbers

from core.errors import InvalidInput

from .. import checks, industries

# ISO 4217 currencies without minor units among those customers.checks knows.
ZERO_DECIMALS = {"JPY", "KRW", "VND"}
MAX_AMOUNT = 10 ** 17  # minor units: fits BIGINT with room


class ValueProblem(Exception):
    """A cell that cannot be stored: `rule` is the report's rule ("validity", "completeness")."""

    def __init__(self, reason: str, rule: str = "validity"):
        super().__init__(reason)
        self.reason, self.rule = reason, rule


def checked(value, check, *args):
    """Return check(value, *args) of customers.checks, its InvalidInput turned into a ValueProblem."""
    try:
        return check(value, *args)
    except InvalidInput as error:
        raise ValueProblem(error.problems[0]["message"]) from None


def text(value, limit: int) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    if len(value) > limit:
        raise ValueProblem(f"at most {limit} characters")
    return value


_AMOUNT = re.compile(r"[¥￥]?\s*(-?)\s*[¥￥]?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?")


def amount(value, currency: str = "CNY", *, scale: int = 1, allow_zero: bool = True) -> int | None:
    """Return an amount in yuan (or `scale` yuan: 10,000 for 万元) as exact minor units; refuse a negative one."""
    if value is None or value == "":
        return None
    digits = 0 if currency in ZERO_DECIMALS else 2
    if isinstance(value, float):
        number = Decimal(repr(value))  # the shortest text that gives the float back, not its binary expansion
    elif isinstance(value, int):
        number = Decimal(value)
    else:
        found = _AMOUNT.fullmatch(str(value).strip())
        if found is None:
            raise ValueProblem(f"{value!r} is not an amount such as 1,234.56")
        sign, whole, fraction = found.groups()
        number = Decimal(f"{sign}{whole.replace(',', '')}.{fraction or '0'}")
    if number < 0:
        raise ValueProblem(f"{value} is negative")
    minor = number * scale * (10 ** digits)
    if minor != minor.to_integral_value():
        raise ValueProblem(f"{value} has more decimals than {currency} has")
    minor = int(minor)
    if minor > MAX_AMOUNT:
        raise ValueProblem(f"{value} is too large")
    if minor == 0 and not allow_zero:
        raise ValueProblem("must be more than zero")
    return minor


_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def day(value) -> date | None:
    """Return a date from a cell: an Excel date, 2024-03-01, 2024/3/1, 2024.3.1, 2024年3月1日 or 20240301."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    value = str(value).strip()
    found = _DATE.fullmatch(value) or _DATE.fullmatch(value.split(" ")[0].split("T")[0])
    if found is None and re.fullmatch(r"\d{8}", value):
        found = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", value)
    if found is None:
        raise ValueProblem(f"{value!r} is not a date such as 2024-03-01")
    try:
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        raise ValueProblem(f"{value!r} is no day of the calendar") from None


def moment(value) -> datetime:
    """Return an aware datetime; a time without zone is Beijing time, as Chinese systems write them."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    else:
        text_value = str(value).strip().replace("/", "-")
        try:
            parsed = datetime.fromisoformat(text_value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueProblem(f"{value!r} is not a time such as 2024-03-01T09:30:00+08:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=checks.BEIJING)


_PERCENT = re.compile(r"(\d{1,3})(?:\.(\d{1,4}))?\s*[%％]?")


def share_ppm(value) -> int | None:
    """Return a percentage ("35", "35.5%", 0.355 from an Excel percent cell is 35.5 %) in parts per million."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and 0 < value <= 1:
        number = Decimal(repr(value)) * 100
    else:
        found = _PERCENT.fullmatch(str(value).strip())
        if found is None:
            raise ValueProblem(f"{value!r} is not a percentage such as 35 or 35.5%")
        number = Decimal(f"{found.group(1)}.{found.group(2) or '0'}")
    ppm = number * 10_000
    if ppm != ppm.to_integral_value():
        raise ValueProblem(f"{value} has more than 4 decimals")
    if not 0 < ppm <= 1_000_000:
        raise ValueProblem(f"{value} is not between 0 and 100 %")
    return int(ppm)


_PHONE_SHAPE = re.compile(r"(?:\+86|0086)?[\s-]*0?([1-9](?:[\s-]?\d){6,11})")
_SEPARATORS = re.compile(r"[\s-]")
_PHONE_BLOCKS: set[tuple[str, int]] = set()
MAX_PHONE_BLOCKS = 200_000


def _chinese_patterns() -> dict[int, re.Pattern | None]:
    """Return, per length of a national number, one pattern that is phonenumbers' validation of +86 numbers.

    phonenumbers calls a number valid when it matches CN's general description and the
    description of some number type (its _number_type_helper is not UNKNOWN); a
    description matches when it allows the number's length (or lists none) and its
    pattern matches the whole number, and one without a pattern matches nothing. +86 is
    CN alone. Here that is one regular expression per length: the general pattern as a
    lookahead, then the types' patterns as alternatives.
    """
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    types = (metadata.premium_rate, metadata.toll_free, metadata.shared_cost, metadata.voip, metadata.personal_number,
             metadata.pager, metadata.uan, metadata.voicemail, metadata.fixed_line, metadata.mobile)
    general = metadata.general_desc

    def allows(desc, length: int) -> bool:
        return desc is not None and bool(desc.national_number_pattern) \
            and (not desc.possible_length or length in desc.possible_length)
    patterns = {}
    for length in range(1, 18):
        alternatives = [f"(?:{desc.national_number_pattern})" for desc in types if allows(desc, length)]
        patterns[length] = re.compile(f"(?=(?:{general.national_number_pattern})\\Z)(?:{'|'.join(alternatives)})") \
            if alternatives and allows(general, length) else None
    return patterns


_CN_PATTERNS = _chinese_patterns()


def _valid_chinese_number(national: str) -> bool:
    """phonenumbers.is_valid_number of +86 `national` (digits, no leading 0), without its per-call lookups."""
    pattern = _CN_PATTERNS.get(len(national))
    return pattern is not None and pattern.fullmatch(national) is not None


def phone(value, field: str = "mobile") -> str:
    """Return a Chinese phone number in E.164 as customers.checks.mobile does, deciding once per block.

    Numbers are allocated in blocks of 10,000: the last four digits are the
    subscriber's within a block, and no numbering pattern looks at them. So the
    validity of "+86 138 0013 8000" is decided by phonenumbers once for 1380013xxxx
    and reused for the block's other numbers. A plain number is handed to
    phonenumbers' validation as the national number its parser would make of it
    (the trunk 0 dropped); anything else (another country, an extension, letters,
    a carrier prefix 11/12/179 the parser strips) and every invalid number go
    through customers.checks.mobile, which also words the error.
    """
    text_value = str(value).strip()
    found = _PHONE_SHAPE.fullmatch(text_value)
    national = found and _SEPARATORS.sub("", found.group(1))
    if not national or national.startswith(("11", "12", "179")):
        return checked(text_value, checks.mobile, checks.DEFAULT_REGION, field)
    block = (national[:-4], len(national))
    if block not in _PHONE_BLOCKS:
        if not _valid_chinese_number(national):
            return checked(text_value, checks.mobile, checks.DEFAULT_REGION, field)  # raises, with the message
        if len(_PHONE_BLOCKS) < MAX_PHONE_BLOCKS:
            _PHONE_BLOCKS.add(block)
    return "+86" + national


_SECTION_BY_NAME = {name: letter for letter, name in industries.SECTIONS.items()}
_DIVISION_BY_NAME = {name: code for code, (_, name) in industries.DIVISIONS.items()}


def industry(value) -> tuple[str | None, str | None]:
    """Return (门类, 大类) from "I", "65", "I65", "I 65", "信息传输、软件和信息技术服务业" or a 大类's name."""
    if value is None or str(value).strip() == "":
        return None, None
    raw = str(value).strip()
    if isinstance(value, int) or re.fullmatch(r"\d{1,2}", raw):
        section, division = None, f"{int(raw):02d}"
    elif found := re.fullmatch(r"([A-Ta-t])\s*(\d{2})?", raw):
        section, division = found.group(1).upper(), found.group(2)
    elif raw in _SECTION_BY_NAME:
        section, division = _SECTION_BY_NAME[raw], None
    elif raw in _DIVISION_BY_NAME:
        section, division = None, _DIVISION_BY_NAME[raw]
    else:
        raise ValueProblem(f"{raw!r} is no GB/T 4754-2017 section, division or industry name")
    return checked(section, checks.industry, division)


def choice(value, choices: tuple[str, ...], words: dict[str, str]) -> str | None:
    """Return one of `choices`, read in English or through the Chinese `words`."""
    if value is None or str(value).strip() == "":
        return None
    raw = str(value).strip()
    found = words.get(raw, raw.lower())
    if found not in choices:
        raise ValueProblem(f"{raw!r} is not one of {', '.join(choices)}")
    return found


def tag_list(value) -> list[str]:
    """Return tags from "a, b; c" or "a，b、c"."""
    if value is None or str(value).strip() == "":
        return []
    return checked(re.split(r"[,;，；、|]", str(value)), checks.tags)

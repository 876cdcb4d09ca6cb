"""The checks on master data: each returns the value as stored or raises InvalidInput naming the field.

Services run them on every write, whoever calls (the API, a process, later an
import), so a bad code never reaches the tables.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as NumberError

from core.errors import InvalidInput

from . import industries
from .models import CHANNELS, SIZE_BANDS

BEIJING = ZoneInfo("Asia/Shanghai")
DEFAULT_REGION = "CN"
MAX_TAGS, MAX_TAG_LENGTH = 30, 40
# ISO 4217 codes a Chinese B2B customer registers capital in; others are refused as unknown.
CURRENCIES = ("CNY", "HKD", "MOP", "TWD", "USD", "EUR", "GBP", "JPY", "KRW", "SGD", "AUD", "CAD", "CHF",
              "NZD", "SEK", "NOK", "DKK", "RUB", "INR", "THB", "MYR", "IDR", "PHP", "VND", "AED", "SAR",
              "BRL", "MXN", "ZAR", "TRY", "PLN", "CZK", "HUF", "ILS", "KZT", "PKR", "BDT", "EGP", "NGN")


def invalid(field: str, message: str) -> InvalidInput:
    """Return the error for a bad `field`."""
    return InvalidInput(f"{field}: {message}", [{"message": message, "field": field}])


# GB 32100-2015: 31 characters (no I, O, S, V, Z), weights 3^i mod 31 over the first 17 characters.
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {c: n for n, c in enumerate(_CREDIT_ALPHABET)}
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# The shape stdnum's uscc.validate accepts (eight digits, then ten of the alphabet), already compact.
_COMPACT_CREDIT_CODE = re.compile(r"[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}")


def _credit_check_character(code: str) -> str:
    total = sum(_CREDIT_VALUE[c] * w for c, w in zip(code, _CREDIT_WEIGHTS))
    return _CREDIT_ALPHABET[-total % 31]


def credit_code(value: str | None) -> str | None:
    """Return a 统一社会信用代码 in its compact upper-case form; refuse a wrong length or check character."""
    if value is None or not value.strip():
        return None
    if _COMPACT_CREDIT_CODE.fullmatch(value) and _credit_check_character(value) == value[17]:
        return value  # already compact and right: what stdnum returns, without its cleaning (most imported codes)
    try:
        return uscc.validate(value)
    except NumberError as error:
        raise invalid("credit_code", f"not a valid unified social credit code: {error}") from None


def industry(section: str | None, division: str | None) -> tuple[str | None, str | None]:
    """Return (门类, 大类) checked against GB/T 4754-2017; a division alone implies its section."""
    if section is not None and section not in industries.SECTIONS:
        raise invalid("industry_section", f"{section!r} is no GB/T 4754-2017 section (A to T)")
    if division is None:
        return section, None
    if division not in industries.DIVISIONS:
        raise invalid("industry_division", f"{division!r} is no GB/T 4754-2017 division (01 to 97)")
    own_section = industries.DIVISIONS[division][0]
    if section is not None and section != own_section:
        raise invalid("industry_division", f"division {division} belongs to section {own_section}, "
                                           f"not {section}")
    return own_section, division


def currency(value: str | None) -> str:
    """Return an ISO 4217 code, CNY when none is given."""
    if value is None:
        return "CNY"
    if value not in CURRENCIES:
        raise invalid("registered_capital_currency", f"{value!r} is no ISO 4217 currency code we know")
    return value


def founded_on(value: date | None) -> date | None:
    """Refuse a founding date after today in Beijing."""
    if value is not None and value > datetime.now(BEIJING).date():
        raise invalid("founded_on", "is in the future")
    return value


def size_band(value: str | None) -> str | None:
    if value is not None and value not in SIZE_BANDS:
        raise invalid("size_band", f"one of {', '.join(SIZE_BANDS)}")
    return value


# http(s)://host.name[/path...]: a dotted host of letters, digits and hyphens, then printable ASCII without
# spaces; urlsplit reads such a URL as that scheme and host, so the full check would accept it.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:[/?#][!-~]*)?")


def website(value: str | None) -> str | None:
    """Return an http(s) URL with a host name."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if _PLAIN_URL.fullmatch(value):
        return value  # what the check below accepts, without urlsplit (most imported websites)
    try:
        parts = urlsplit(value)
        scheme, hostname = parts.scheme, parts.hostname
    except ValueError:  # "https://[oops": an unclosed IPv6 bracket, refused like any other non-URL
        scheme = hostname = None
    if scheme not in ("http", "https") or not hostname or "." not in hostname \
            or any(c.isspace() for c in value):
        raise invalid("website", "not an http(s) URL such as https://www.example.cn")
    return value


def tags(values: list[str] | None) -> list[str]:
    """Return the tags trimmed, without repeats, in their order."""
    cleaned = list(dict.fromkeys(v.strip() for v in values or () if v.strip()))
    if len(cleaned) > MAX_TAGS:
        raise invalid("tags", f"at most {MAX_TAGS} tags")
    if any(len(tag) > MAX_TAG_LENGTH for tag in cleaned):
        raise invalid("tags", f"each tag at most {MAX_TAG_LENGTH} characters")
    return cleaned


def mobile(value: str | None, region: str = DEFAULT_REGION, field: str = "mobile") -> str | None:
    """Return a phone number in E.164 ("+8613800138000"); a number without +country is read as Chinese."""
    if value is None or not value.strip():
        return None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise invalid(field, f"{value!r} is not a phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone(value: str | None) -> str | None:
    """Return a company's phone (a landline such as 0755-8888 8888 too) in E.164."""
    return mobile(value, field="phone")


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def email(value: str | None, field: str = "email") -> str | None:
    """Return an email address trimmed, its domain lower-cased; refuse one without user@domain.tld."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > 320 or not _EMAIL.fullmatch(value):
        raise invalid(field, f"{value!r} is not an email address")
    user, domain = value.rsplit("@", 1)
    return f"{user}@{domain.lower()}"


def address(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value.strip()) > 255:
        raise invalid("address", "at most 255 characters")
    return value.strip()


def channel(value: str | None, field: str = "preferred_channel") -> str | None:
    if value is not None and value not in CHANNELS:
        raise invalid(field, f"one of {', '.join(CHANNELS)}")
    return value


def timezone(value: str | None) -> str:
    """Return an IANA time zone name, Asia/Shanghai when none is given."""
    if value is None:
        return "Asia/Shanghai"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid("timezone", f"{value!r} is no IANA time zone such as Asia/Shanghai") from None
    return value


def external_keys(entries: list[dict]) -> list[tuple[str, str]]:
    """Return (system, key) pairs, trimmed, without repeats; a system name is lower case."""
    pairs = []
    for entry in entries:
        system, key = entry["system"].strip().lower(), entry["key"].strip()
        if not system or not key:
            raise invalid("external_keys", "each needs a system and a key")
        pairs.append((system, key))
    return list(dict.fromkeys(pairs))

"""Finding companies by what people type: part of the name, the pinyin initials ("zgyd" finds 中国移动), a code.

pypinyin ships its dictionary, so the initials need nothing fetched at run time.
`matching` and `filtered` build SQL conditions only: the database does all the
filtering. Text matches are `LIKE` (a name or alias containing the text, case
folded; a credit code, ERP code or initials starting with it). A contains-LIKE
cannot use an index, so it scans the companies table: measured at 100,000
companies in bench/customers/company_list.py, well inside a page's budget.
"""
from __future__ import annotations

import re
import unicodedata
from itertools import chain

from pypinyin import Style
from pypinyin.converter import UltimateConverter
from pypinyin.core import Pinyin
from pypinyin.phrases_dict import phrases_dict
from pypinyin.pinyin_dict import pinyin_dict
from sqlalchemy import ColumnElement, and_, cast, exists, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from core.db import is_postgresql

from .models import Company, CompanyAlias, CompanyExternalKey

MAX_INITIALS = 255
_INITIALS = re.compile(r"[a-z0-9]+")
_CODE = re.compile(r"[0-9A-Z]+")
_KEY = re.compile(r"[!-~]+")  # an ERP code: printable ASCII without spaces
# Filters that compare one column with the value as given.
EXACT_FILTERS = ("parent_id", "province", "city", "industry_section", "size_band", "owner_id")
MAX_REMEMBERED_WORDS = 200_000


_CONVERTER = UltimateConverter()  # what pypinyin's lazy_pinyin converts with
_PINYIN = Pinyin(_CONVERTER)


def _word_letters(word: str) -> str:
    """Return the initials of one word as pypinyin segments it, before lower-casing; remembered.

    pypinyin cuts a name into words (its phrase dictionary decides 银行 yh, 重庆 cq)
    and converts each word on its own, so a word gives the same letters wherever it
    stands; company names repeat their words (深圳, 科技, 有限公司), and an import of
    100,000 names would otherwise spend most of its pinyin time converting them again.
    """
    found = _REMEMBERED.get(word)
    if found is None:
        letters = []
        # What lazy_pinyin(style=FIRST_LETTER, errors="default") gives for this word.
        for part in chain.from_iterable(_CONVERTER.convert(word, Style.FIRST_LETTER, False, "default", strict=True)):
            if part.isascii() and part.isalnum():
                letters.append(part[0])  # a Chinese character's letter, or one Latin word: nothing to split
            else:
                # A run of non-Chinese text comes back whole ("Acme Co., Ltd. "): take each of its words.
                letters.extend(piece[0] for piece in _NOT_WORD.split(part) if piece)
        found = "".join(letters)
        if len(_REMEMBERED) < MAX_REMEMBERED_WORDS:
            _REMEMBERED[word] = found
    return found


_REMEMBERED: dict[str, str] = {}
_NOT_WORD = re.compile(r"[\W_]+")


def initials(name: str) -> str:
    """Return the lower-case pinyin initials of `name`; Latin words give their first letter, digits stay."""
    letters = _SINGLE_LETTERS or _single_letters()
    try:
        return "".join([letters[character] for character in name])[:MAX_INITIALS]
    except KeyError:  # a character with readings of different letters, or no Chinese character
        return "".join(_word_letters(word) for word in _PINYIN.seg(name)).lower()[:MAX_INITIALS]


_SINGLE_LETTERS: dict[str, str] = {}


def _single_letters() -> dict[str, str]:
    """Return the Chinese characters that start with the same letter wherever pypinyin reads them, each with
    that letter (read once, about 0.15 s).

    pypinyin reads a character alone by its first reading and inside a word of its phrase dictionary by
    the phrase's reading. A character whose first reading and every phrase reading of it start with one
    letter gives that letter whichever word segmenting would put it in, so for a name made only of such
    characters the initials need no segmenting (有 yǒu, even if its rare reading wěi; 华 huá/huà). Those
    with 行, 重, 长, 乐 (银行 yín háng, 行 alone xíng) are segmented as pypinyin does. Segmenting was most
    of the time an import of new companies spent on initials.
    """
    if _SINGLE_LETTERS:
        return _SINGLE_LETTERS
    single = {chr(code): _first_letter(readings.split(",")[0]) for code, readings in pinyin_dict.items()}
    for phrase, readings in phrases_dict.items():
        for character, reading in zip(phrase, readings):
            if reading and single.get(character) not in (None, _first_letter(reading[0])):
                del single[character]  # a phrase reads it with another letter
    _SINGLE_LETTERS.update({character: letter for character, letter in single.items()
                            if letter.isascii() and letter.isalpha()})
    return _SINGLE_LETTERS


def _first_letter(reading: str) -> str:
    return unicodedata.normalize("NFD", reading[:1])[:1]


def matching(session: Session, text: str) -> ColumnElement[bool]:
    """Return the condition "a company `text` finds": in its name or an alias, or its initials or codes begin so.

    Codes and initials are tried only when `text` could be one (ASCII letters and
    digits; an ERP code may hold punctuation too), so "中国" scans no code column;
    credit codes and initials are stored in one case, so the text is put in it.
    """
    text = text.strip()
    # A text without letters that have a case (中国移动, 100%) matches the same with or without case folding,
    # and PostgreSQL's ILIKE folds every row's name: a plain LIKE scans several times faster there.
    contains = _case_blind(session) if text.lower() != text.upper() else _exact_case
    conditions = [
        contains(Company.name, _like_escaped(text, "%", "%")),
        Company.id.in_(select(CompanyAlias.company_id)
                       .where(contains(CompanyAlias.name, _like_escaped(text, "%", "%")))),
    ]
    if _KEY.fullmatch(text):
        conditions.append(Company.id.in_(select(CompanyExternalKey.company_id)
                                         .where(CompanyExternalKey.system == "erp",
                                                contains(CompanyExternalKey.key, _like_escaped(text, "", "%")))))
    if _CODE.fullmatch(text.upper()):
        conditions.append(Company.credit_code.startswith(text.upper(), autoescape=True))
    if _INITIALS.fullmatch(text.lower()):
        conditions.append(Company.name_initials.startswith(text.lower(), autoescape=True))
    return or_(*conditions)


def _case_blind(session: Session):
    # SQLite's LIKE ignores the case of ASCII letters by itself; lower() on both sides would double a scan's cost.
    if is_postgresql(session):
        return lambda column, pattern: column.ilike(pattern, escape="/")
    return lambda column, pattern: column.like(pattern, escape="/")


def _exact_case(column, pattern: str):
    return column.like(pattern, escape="/")


def _like_escaped(text: str, before: str, after: str) -> str:
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"{before}{escaped}{after}"


def filtered(session: Session, *, q: str | None = None, tag: str | None = None,
             **exact) -> ColumnElement[bool] | None:
    """Return the condition for a company list's search `q`, `tag` and EXACT_FILTERS (None for no filter)."""
    unknown = set(exact) - set(EXACT_FILTERS)
    if unknown:
        raise TypeError(f"unknown company filters: {sorted(unknown)}")
    conditions = [getattr(Company, name) == value for name, value in exact.items() if value is not None]
    if q and q.strip():
        conditions.append(matching(session, q))
    if tag:
        conditions.append(_has_tag(session, tag))
    return and_(*conditions) if conditions else None


def _has_tag(session: Session, tag: str) -> ColumnElement[bool]:
    # tags is a JSON list; each database unpacks it its own way (and JSON null holds no tag on either).
    if is_postgresql(session):
        return cast(Company.tags, JSONB).contains([tag])
    elements = func.json_each(Company.tags).table_valued("value")
    return exists(select(1).select_from(elements).where(elements.c.value == tag))


"""The import's fast paths give what the libraries they stand in for give: pinyin initials, credit codes, phones, URLs.

Each compares against the library itself (pypinyin, stdnum, phonenumbers, urlsplit) over
many generated values and the tricky ones; none needs a database.
"""
from __future__ import annotations

import random
import re
from urllib.parse import urlsplit

import phonenumbers
import pytest
from pypinyin import Style, lazy_pinyin
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from core.errors import InvalidInput
from customers import checks, search
from customers.imports import values

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def pypinyin_initials(name: str) -> str:
    """The initials as pypinyin's lazy_pinyin gives them, nothing remembered."""
    words = (word for part in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")
             for word in re.split(r"[\W_]+", part) if word)
    return "".join(word[0] for word in words).lower()[:search.MAX_INITIALS]


TRICKY_NAMES = ["中国银行股份有限公司", "重庆长安汽车股份有限公司", "长沙银行", "重庆银行长沙分行", "行长办公室",
                "招商银行", "长城汽车", "音乐学院", "快乐行", "单县单氏", "朝阳区朝晖", "厦门航空", "蚌埠会计事务所",
                "Acme Co., Ltd.", "阿里巴巴(中国)有限公司", "3M中国有限公司", "ΑΣ Σίγμα", "深圳市腾讯计算机系统有限公司",
                "北京字节跳动科技有限公司_分部", "A_B-C d.e", "", "   ", "一二三", "〇号", "𠀀𠀁公司", "長沙銀行", "ＡＢＣ公司",
                "中信银行长春分行", "长春长生", "银行行长长得很长", "重重叠叠", "华为技术有限公司 Huawei"]


def generated_names(count: int, seed: int = 13) -> list[str]:
    rng = random.Random(seed)
    pieces = ("深圳", "北京", "上海", "重庆", "长沙", "银行", "行长", "长城", "科技", "有限公司", "股份", "音乐",
              "乐行", "单", "朝阳", "厦门", "云海", "星河", "天地", "华信", "Acme", " ", "-", "3", "(", "）")
    chars = "云海星河天地华信达通盛泰安康瑞丰宏远恒昌鼎新创联智博源重长行乐单朝藏都和调"
    names = []
    for _ in range(count):
        parts = [rng.choice(pieces) if rng.random() < 0.6 else rng.choice(chars) for _ in range(rng.randint(1, 8))]
        names.append("".join(parts))
    return names


@pytest.mark.parametrize("name", TRICKY_NAMES)
def test_initials_of_tricky_names_are_pypinyins(name):
    assert search.initials(name) == pypinyin_initials(name)


def test_initials_of_generated_names_are_pypinyins_first_time_and_remembered():
    names = generated_names(4_000)
    expected = [pypinyin_initials(name) for name in names]
    assert [search.initials(name) for name in names] == expected
    assert [search.initials(name) for name in names] == expected  # from what was remembered
    assert search.initials("重庆长沙银行") == "cqcsyh"


def stdnum_result(code: str):
    try:
        return uscc.validate(code)
    except ValidationError as error:
        return f"not a valid unified social credit code: {error}"


def our_result(code: str):
    try:
        return checks.credit_code(code)
    except InvalidInput as error:
        return error.problems[0]["message"]


def test_credit_codes_are_judged_as_stdnum_judges_them():
    rng = random.Random(32100)
    codes = []
    for _ in range(20_000):
        body = "".join(rng.choice("0123456789") for _ in range(8)) + "".join(rng.choice(ALPHABET) for _ in range(9))
        right = body + uscc.calc_check_digit(body)
        codes += [right, body + rng.choice(ALPHABET), right.lower(), right[:9] + "-" + right[9:], f" {right} ",
                  right[:-1], right + "0", right[:10] + rng.choice("IOSVZ") + right[11:], "A" + right[1:]]
    codes += ["91110000600037341L", "９1110000600037341L", "91110000600037341l", "911100006000373４1L"]
    for code in codes:
        assert our_result(code) == stdnum_result(code), code


def test_chinese_numbers_are_valid_exactly_when_phonenumbers_says_so():
    rng = random.Random(86)
    for _ in range(100_000):
        national = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(rng.randint(5, 12)))
        number = phonenumbers.PhoneNumber(country_code=86, national_number=int(national))
        assert values._valid_chinese_number(national) == phonenumbers.is_valid_number(number), national
    assert values.phone("138 0013 8000") == "+8613800138000"
    assert values.phone("0755-8888 8888", "phone") == "+8675588888888"


def urlsplit_accepts(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "." in parts.hostname \
        and not any(c.isspace() for c in value)


def test_websites_are_accepted_exactly_as_the_full_check_accepts_them():
    rng = random.Random(80)
    samples = ["https://www.company1.cn", "http://a.b", "https://a.b/x?y=1#z", "https://a..b", "https://a.b:8080/",
               "https://user@a.b", "ftp://a.b", "https://localhost", "HTTPS://A.B", "https://a.b/ x", "https://-.-",
               "https://a.b\\c", "https://a.b?", "https://[::1]/", "https://例子.中国", "https:///a.b", "https:a.b", "https://[oops", "https://a.b]/"]
    chars = "aZ09.-:/?#@_ %[]"
    samples += ["https://" + "".join(rng.choice(chars) for _ in range(rng.randint(1, 12))) for _ in range(20_000)]
    for value in samples:
        try:
            ours = checks.website(value) == value.strip()
        except InvalidInput:
            ours = False
        try:
            expected = urlsplit_accepts(value.strip())
        except ValueError:
            expected = False
        assert ours == expected, value


def test_initials_without_segmenting_are_pypinyins_over_its_phrases_and_random_text():
    # Names of characters read with one letter everywhere skip segmenting (search._single_letters): check
    # that against pypinyin itself on its own phrases, phrases run together, and any characters at all.
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict

    rng = random.Random(14)
    phrases = rng.sample(sorted(phrases_dict), 5_000)
    characters = [chr(code) for code in sorted(pinyin_dict)]
    texts = [*phrases, *("".join(rng.choices(phrases, k=rng.randint(2, 4))) for _ in range(3_000)),
             *("".join(rng.choices(characters, k=rng.randint(1, 10))) for _ in range(3_000))]
    letters = search._single_letters()
    assert sum(all(c in letters for c in text) for text in texts) > 1_000  # the fast path ran
    assert [search.initials(text) for text in texts] == [pypinyin_initials(text) for text in texts]

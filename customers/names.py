"""Company and person names reduced to what tells one apart: the core of a name, and where it says it is.

深圳市腾讯计算机系统有限公司, 腾讯计算机系统（深圳）有限公司 and 腾讯计算机系统有限公司深圳分公司
all come down to the core 腾讯计算机系统 with the place 深圳; "ACME Trading Co., Ltd." to acmetrading.
The place is kept apart so that 北京银行 and 上海银行 (core 银行 both) can be told apart by it.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import lazy_pinyin

# Provinces (short forms) and the cities a Chinese company name most often starts with.
PROVINCES = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽",
             "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西",
             "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门")
CITIES = ("深圳", "广州", "东莞", "佛山", "珠海", "中山", "惠州", "汕头", "杭州", "宁波", "温州", "绍兴",
          "嘉兴", "金华", "台州", "南京", "苏州", "无锡", "常州", "南通", "徐州", "扬州", "昆山", "合肥",
          "芜湖", "福州", "厦门", "泉州", "南昌", "济南", "青岛", "烟台", "潍坊", "郑州", "洛阳", "武汉",
          "宜昌", "长沙", "株洲", "成都", "绵阳", "贵阳", "昆明", "西安", "兰州", "西宁", "石家庄", "唐山",
          "保定", "太原", "大同", "沈阳", "大连", "长春", "哈尔滨", "呼和浩特", "包头", "南宁", "桂林",
          "海口", "三亚", "拉萨", "银川", "乌鲁木齐")
PLACES = tuple(sorted(PROVINCES + CITIES, key=len, reverse=True))  # longest first: 黑龙江 before 黑
# Endings of a legal form, longest first, stripped again and again ("集团股份有限公司" -> "").
LEGAL_FORMS = tuple(sorted((
    "股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "股份公司", "责任公司", "集团公司", "总公司",
    "集团", "公司", "企业", "工作室", "合伙企业", "个体工商户", "厂"), key=len, reverse=True))
# The same in Latin letters, as whole words at the end: "Acme Co., Ltd.", "Foo GmbH", "Bar Holdings Inc".
_LATIN_FORMS = re.compile(r"(?:[\s.,&]*\b(?:co|company|corp|corporation|inc|incorporated|limited|ltd|llc|l\.l\.c|plc"
                          r"|gmbh|ag|s\.?a|b\.?v|pte|pty|group|holdings?)\b[\s.,&]*)+$")
COUNTRIES = ("中国", "china", "国际", "亚洲", "asia")
# A branch marker and everything after it; a place just before it belongs to the branch.
_BRANCH = re.compile(r"(分公司|分行|支行|分店|办事处|营业部|分部|分厂|代表处|分所|\bbranch\b|\boffice\b).*$")
_OPEN, _CLOSE = "(【[〔{<《", ")】]〕}>》"
_BRACKETED = re.compile(r"[(\[{]([^()\[\]{}]*)[)\]}]")
_ADMIN = re.compile(r"^(省|市|自治区|特别行政区|壮族自治区|回族自治区|维吾尔自治区|区|县)")
_NOT_WORD = re.compile(r"[\W_]+")


@lru_cache(maxsize=200_000)
def company_name(name: str) -> tuple[str, frozenset[str]]:
    """Return (core, places) of a company name: legal form, branch, brackets, places and punctuation gone."""
    text = unicodedata.normalize("NFKC", name or "").lower()
    text = text.translate(str.maketrans(_OPEN, "(" * len(_OPEN))).translate(
        str.maketrans(_CLOSE, ")" * len(_CLOSE)))
    places: set[str] = set()

    def bracket(match: re.Match) -> str:
        inside = _strip_legal(_NOT_WORD.sub("", match.group(1)))
        rest = _leading_places(inside, places)
        # (深圳) is a place, (中国) says no more than the name; (特种) stays part of it.
        return "" if not rest or rest in COUNTRIES else inside
    text = _BRACKETED.sub(bracket, text).replace("(", " ").replace(")", " ")
    text = _BRANCH.sub("", text)
    text = _LATIN_FORMS.sub("", text.strip())
    text = _strip_legal(_NOT_WORD.sub("", text))
    text = _BRANCH.sub("", text)  # 有限公司深圳分公司: the legal form hid the branch from the first pass
    text = _strip_legal(_strip_trailing_place(text, places))
    core = _leading_places(text, places)
    if len(core) < 2:  # 北京银行 -> 银行 would lose the name: keep the place in it
        core = text
    return core, frozenset(places)


def _strip_legal(text: str) -> str:
    while True:
        for form in LEGAL_FORMS:
            if text.endswith(form) and len(text) > len(form):
                text = text[:-len(form)]
                break
        else:
            return text


def _leading_places(text: str, places: set[str]) -> str:
    """Strip places from the start of `text` into `places`: 广东省深圳市腾讯 -> 腾讯."""
    while True:
        for place in PLACES:
            if text.startswith(place):
                places.add(place)
                text = _ADMIN.sub("", text[len(place):])
                break
        else:
            return text


def _strip_trailing_place(text: str, places: set[str]) -> str:
    """Strip a place left at the end once a branch is gone: 腾讯深圳 -> 腾讯."""
    for place in PLACES:
        for ending in (place + "市", place + "省", place):
            if text.endswith(ending) and len(text) - len(ending) >= 2:
                places.add(place)
                return text[:-len(ending)]
    return text


def places_conflict(left: frozenset[str], right: frozenset[str]) -> bool:
    """Tell whether two names say they are in different places; a province and a city never conflict."""
    left_cities, right_cities = left - _PROVINCE_SET, right - _PROVINCE_SET
    if left_cities and right_cities:
        return not left_cities & right_cities
    if left and right and not left_cities and not right_cities:
        return not left & right
    return False


_PROVINCE_SET = frozenset(PROVINCES)


@lru_cache(maxsize=200_000)
def person_name(name: str) -> tuple[str, str]:
    """Return (plain, pinyin) of a person's name: "Li Wei" and 李伟 share the pinyin "liwei"."""
    text = _NOT_WORD.sub("", unicodedata.normalize("NFKC", name or "").lower())
    return text, "".join(lazy_pinyin(text)) if text else ""


def bigrams(text: str) -> list[str]:
    """Return the text's character pairs (the text itself when shorter)."""
    return [text[i:i + 2] for i in range(len(text) - 1)] or ([text] if text else [])

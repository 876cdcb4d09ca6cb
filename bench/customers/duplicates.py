"""Duplicate candidates over 100,000 companies (targets: <= 60 s, recall >= 95 % at precision >= 95 %).

The truth is planted, so it is known:
- 95,000 distinct companies: a brand of four characters drawn from a pool of
  common brand characters (10 % English words instead), an industry word, a
  legal form, and for 70 % a city or province in front (深圳市华信达通电子科技有限公司);
  the English ones are five syllables, an industry word and a legal form
  ("Kaloviremu Trading Co., Ltd."), without a place.
  No two have the same normalised core, except 1,000 hard negatives: the same
  brand and industry in two different cities (北京华信… and 上海华信…), which
  are two companies. Half have a credit code, 60 % a phone, 40 % a company
  e-mail domain (others a free-mail address), 30 % an address.
- 5,000 planted duplicates of random originals (never a hard negative), each
  one or two of: legal form swapped, written in full-width characters, the city
  moved into brackets （深圳）, the city dropped or added, one character mistyped
  in the brand, a branch marker with a city (…有限公司北京分公司); 30 % share the
  original's phone, 30 % its e-mail domain. None has a credit code: the
  unique index on companies.credit_code keeps two rows from sharing one.
Recall is over the planted (original, duplicate) pairs; precision over every
stored candidate, a pair counting as right when both are the same original.
The baseline, measured in the same run, is reading every name back and
normalising it: what no scan can do without.

Run: .venv/bin/python -m bench.customers.duplicates [--quick] [--postgresql]
"""
from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from pypinyin import lazy_pinyin
from sqlalchemy import insert, select
from stdnum.cn import uscc

from core import migrations
from core.db import make_engine, make_session_factory
from customers import data_quality, duplicates, names
from customers.models import Company, DuplicateCandidate
from tests.databases import create_postgres_database, drop_postgres_database

POOL = "".join(dict.fromkeys(
    "华信达通瑞博恒盛泰安宏远鑫源德丰汇佳嘉和鼎立天创新科中金海星光明辉永隆兴旺昌盈银玉龙凤麟腾飞跃翔云峰"
    "川洋万千百亿元方正圆晶晨曦晟昊昕晖旭宇乾坤康健美雅致优卓越精诚义仁智慧思志航程启迪睿哲博学文武英杰"
    "豪迈雄伟俊秀灵动力强劲锐捷迅乐平宁静谐融联众成城同心协共赢展进步宏图鹏锦绣景灿烂煌世繁荣富贵吉祥如意"
    "顺畅行远景润泽沃丰禾谷粮田园林森木松柏竹梅兰菊桂荷莲蓝青红紫彩虹霞雪冰泉溪波涛澜浩瀚渊深广阔"))
INDUSTRIES = ("科技", "电子科技", "信息技术", "网络科技", "贸易", "实业", "机械设备", "新材料", "生物医药", "食品",
              "物流", "建筑工程", "环保科技", "能源", "汽车零部件", "化工", "纺织", "服装", "文化传媒", "餐饮管理",
              "教育咨询", "电气", "光电", "智能装备", "软件", "投资管理", "房地产开发", "农业发展", "医疗器械",
              "包装材料")
LEGAL = ("有限公司", "有限责任公司", "股份有限公司", "集团有限公司")
SYLLABLES = tuple(c + v for c in "bdfgklmnprstvz" for v in "aeiou")  # 70: "kalovire"
EN_INDUSTRIES = ("Trading", "Technology", "Electronics", "Logistics", "Software", "Materials", "Foods")
EN_LEGAL = ("Co., Ltd.", "Company Limited", "Inc.", "Ltd.", "Corporation")
PLACES = names.CITIES + names.PROVINCES
MUNICIPALITIES, AUTONOMOUS = ("北京", "天津", "上海", "重庆"), ("内蒙古", "广西", "西藏", "宁夏", "新疆")
FREE = ("qq.com", "163.com", "126.com", "gmail.com")


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "　" if c == " " else c for c in text)


class Generator:
    """Makes the companies and remembers which are one."""

    def __init__(self, seed: int):
        self.random = random.Random(seed)
        self.cores: set[str] = set()
        self.names: set[str] = set()
        self.codes: set[str] = set()
        self.rows: list[dict] = []
        self.origin: list[int] = []  # row index -> index of the original it copies (itself if distinct)
        self.parts: list[dict] = []

    def code(self) -> str:
        while True:
            body = "91" + "".join(self.random.choice("0123456789") for _ in range(6)) + "".join(
                self.random.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
            code = body + uscc.calc_check_digit(body)
            if code not in self.codes:
                self.codes.add(code)
                return code

    def name(self, parts: dict) -> str:
        brand, industry, legal, place, style = (parts[k] for k in ("brand", "industry", "legal", "place", "style"))
        if parts["english"]:
            text = f"{brand.title()} {industry} {legal}"
            return f"{text} ({place})" if place and style == "bracket" else text
        if not place:
            return f"{brand}{industry}{legal}"
        suffix = ("市" if place in MUNICIPALITIES or place not in names.PROVINCES else "特别行政区"
                  if place in ("香港", "澳门") else "自治区" if place in AUTONOMOUS else "省")
        if style == "bracket":
            return f"{brand}{industry}（{place}）{legal}"
        return f"{place}{suffix}{brand}{industry}{legal}"

    def base(self, place: str | None = None, brand: str | None = None, industry: str | None = None) -> int | None:
        r = self.random
        english = brand is None and place is None and r.random() < 0.1
        if brand is None:
            brand = "".join(r.choice(SYLLABLES) for _ in range(5)) if english else "".join(r.sample(POOL, 4))
            industry = r.choice(EN_INDUSTRIES if english else INDUSTRIES)
        parts = {"brand": brand, "industry": industry, "english": english,
                 "legal": r.choice(EN_LEGAL if english else LEGAL),
                 "place": place if place is not None else (r.choice(PLACES) if r.random() < 0.7 and not english
                                                           else None),
                 "style": "prefix"}
        name = self.name(parts)
        core = names.company_name(name)[0]
        if name in self.names or (core in self.cores and place is None):
            return None
        self.cores.add(core)
        number = len(self.rows)
        domain = f"{''.join(lazy_pinyin(brand))[:12]}{number}.com"
        self.add(name, parts, number, code=self.code() if r.random() < 0.5 else None,
                 phone=f"+86139{number:08d}" if r.random() < 0.6 else None,
                 email=(f"info@{domain}" if r.random() < 0.67 else f"x{number}@{r.choice(FREE)}")
                 if r.random() < 0.6 else None,
                 address=f"{parts['place'] or '杭州'}市{r.choice(POOL)}{r.choice(POOL)}路{number % 999}号"
                 if r.random() < 0.3 else None)
        return number

    def add(self, name, parts, origin, **values) -> None:
        self.names.add(name)
        self.rows.append({"name": name, "credit_code": values["code"], "phone": values["phone"],
                          "email": values["email"], "address": values["address"]})
        self.origin.append(origin)
        self.parts.append(parts)

    def variant(self, original: int) -> bool:
        r, row, parts = self.random, self.rows[original], dict(self.parts[original])
        changes = r.sample(("legal", "fullwidth", "bracket", "place", "typo", "branch"), r.choice((1, 1, 2)))
        branch = None
        for change in changes:
            if change == "legal":
                parts["legal"] = r.choice([f for f in (EN_LEGAL if parts["english"] else LEGAL)
                                           if f != parts["legal"]])
            elif change == "bracket" and parts["place"]:
                parts["style"] = "bracket"
            elif change == "place" and not parts["english"]:
                parts["place"] = None if parts["place"] else r.choice(PLACES)
            elif change == "typo":
                brand = list(parts["brand"])
                at = r.randrange(len(brand))
                brand[at] = r.choice("aeiourst" if parts["english"] else POOL.replace(brand[at], ""))
                parts["brand"] = "".join(brand)
            elif change == "branch":
                branch = r.choice(names.CITIES) + (" Branch" if parts["english"] else "分公司")
        name = self.name(parts) + (("" if not parts["english"] else " ") + branch if branch else "")
        if "fullwidth" in changes:
            name = fullwidth(name)
        if name in self.names:
            return False
        self.add(name, parts, original, code=None,
                 phone=row["phone"] if r.random() < 0.3 else None,
                 email=f"sales@{row['email'].split('@')[1]}" if row["email"] and r.random() < 0.3 else None,
                 address=None)
        return True


def generate(distinct: int, planted: int, negatives: int, seed: int = 13) -> Generator:
    """Return a Generator holding `distinct` companies, `negatives` of them same-brand-other-city pairs."""
    gen = Generator(seed)
    hard = set()
    while len(gen.rows) < negatives:
        first = gen.base(place=gen.random.choice(names.CITIES))
        if first is None:
            continue
        other = gen.random.choice([c for c in names.CITIES if c != gen.parts[first]["place"]])
        second = gen.base(place=other, brand=gen.parts[first]["brand"], industry=gen.parts[first]["industry"])
        hard.update(i for i in (first, second) if i is not None)
    while len(gen.rows) < distinct:
        gen.base()
    originals = [i for i in range(len(gen.rows)) if i not in hard]
    made = 0
    while made < planted:
        made += gen.variant(gen.random.choice(originals))
    return gen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 companies instead of 100,000")
    parser.add_argument("--postgresql", action="store_true", help="a throwaway PostgreSQL database, not SQLite")
    args = parser.parse_args()
    distinct, planted, negatives = (9_500, 500, 100) if args.quick else (95_000, 5_000, 1_000)
    started = time.perf_counter()
    gen = generate(distinct, planted, negatives)
    generated = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as workdir:
        url = create_postgres_database("dealflow_bench") if args.postgresql else \
            f"sqlite:///{Path(workdir) / 'duplicates.db'}"
        migrations.upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        with factory.begin() as session:
            for start in range(0, len(gen.rows), 10_000):
                session.execute(insert(Company.__table__), gen.rows[start:start + 10_000])
        with factory() as session:
            ids = list(session.scalars(select(Company.id).order_by(Company.id)))
        started = time.perf_counter()
        with factory() as session:
            names.company_name.cache_clear()
            for (name,) in session.execute(select(Company.name)):
                names.company_name(name)
        baseline = time.perf_counter() - started
        names.company_name.cache_clear()
        started = time.perf_counter()
        with factory.begin() as session:
            summary = duplicates.scan(session, "companies")
        scanned = time.perf_counter() - started
        started = time.perf_counter()
        with factory() as session:
            quality = data_quality.report(session)
        reported = time.perf_counter() - started
        with factory() as session:
            scored = [(left, right, score) for left, right, score in session.execute(
                select(DuplicateCandidate.left_id, DuplicateCandidate.right_id, DuplicateCandidate.score))]
            found = [(left, right) for left, right, _ in scored]
        engine.dispose()
        if args.postgresql:
            drop_postgres_database(url)
    index = {company_id: i for i, company_id in enumerate(ids)}
    truth = {tuple(sorted((ids[i], ids[origin]))) for i, origin in enumerate(gen.origin) if origin != i}
    right = sum(1 for left, other in found if gen.origin[index[left]] == gen.origin[index[other]])
    recall = len(truth & set(found)) / len(truth)
    precision = right / len(found) if found else 1.0
    print(f"Duplicate candidates over {len(gen.rows):,} companies ({len(truth):,} planted duplicates, "
          f"{negatives:,} same-name-other-city companies), {'PostgreSQL' if args.postgresql else 'SQLite'}")
    print(f"  generated in {generated:.1f} s")
    print(f"  full scan                         {scanned:6.1f} s  (target <= 60 s)")
    print(f"  baseline: read and normalise names {baseline:6.1f} s  ratio {scanned / baseline:.1f}")
    print(f"  candidates stored (score >= {duplicates.THRESHOLD})   {summary['candidates']:,}")
    print(f"  recall of planted pairs           {recall:6.1%}  (target >= 95 %)")
    print(f"  precision of stored candidates    {precision:6.1%}  (target >= 95 %)")
    print(f"  data-quality report (all fields)  {reported:6.1f} s  ratio {reported / baseline:.1f};"
          f" phone validity {next(f for f in quality['companies']['fields'] if f['field'] == 'phone')['validity']}")
    for threshold in (0.78, 0.8, 0.85, 0.9):
        above = [(a, b) for a, b, score in scored if score >= threshold]
        hits = sum(1 for a, b in above if gen.origin[index[a]] == gen.origin[index[b]])
        print(f"    at a review threshold of {threshold:.2f}: recall {len(truth & set(above)) / len(truth):6.1%},"
              f" precision {hits / len(above) if above else 1.0:6.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

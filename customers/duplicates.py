"""Duplicate candidates: pairs of companies (or contacts) that may be one, scored, with the reasons why.

A scan never compares all pairs. Each record gets a few blocking keys (its
normalised name, the rarest character pairs of it, its credit code, phone,
e-mail domain, website host; for contacts: company, e-mail, mobile, name) and only
records sharing a key are scored; a key shared by more than MAX_BLOCK records
says too little to be worth the pairs it makes (科技 is in every other name) and
is skipped. The same credit code is the same company (score 1.0); otherwise the
score starts from how alike the normalised names are (rapidfuzz) and grows with
each other thing they share. Pairs scoring THRESHOLD or more are stored in
duplicate_candidates; a rescan refreshes them, keeps what a person dismissed and
drops open pairs that no longer score.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein
from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session, aliased

from accounts.permissions import require
from core import audit
from core.errors import InvalidInput, NotFound

from . import names, visibility
from .models import Company, Contact, DuplicateCandidate

KINDS = ("companies", "contacts")
THRESHOLD = 0.75  # stored for review from here; measured in bench/customers/duplicates.py
MAX_BLOCK = 200
# The rarest character pairs (Latin: runs of four) of a name that become keys; with its first four characters.
NAME_KEYS, LATIN_KEYS = 4, 6
MAX_ENDING, COMMON_ENDING = 12, 20  # an ending of 2 to 12 characters in 20 names (or 0.1 %) is common
FREE_MAIL = frozenset({"qq.com", "163.com", "126.com", "yeah.net", "sina.com", "sina.cn", "sohu.com",
                       "139.com", "189.cn", "aliyun.com", "foxmail.com", "outlook.com", "hotmail.com",
                       "live.com", "gmail.com", "yahoo.com", "icloud.com", "me.com", "msn.com", "proton.me",
                       "protonmail.com", "wo.cn", "tom.com", "21cn.com"})


@dataclass
class Record:
    """What a scan compares of one company or contact."""

    id: int
    name: str
    core: str = ""
    places: frozenset = frozenset()
    endings: frozenset = frozenset()  # its common endings: industry words (电子科技, trading) and the like
    pinyin: str = ""
    code: str | None = None
    phone: str | None = None
    domain: str | None = None
    email: str | None = None
    address: str | None = None
    company_id: int | None = None
    keys: list[str] = field(default_factory=list)


def email_domain(email: str | None) -> str | None:
    """Return the domain of an address unless it is a free-mail one that thousands share."""
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower()
    return None if domain in FREE_MAIL else domain or None


def _website_host(url: str | None) -> str | None:
    try:
        host = urlsplit(url).hostname if url else None
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def _digits(phone: str | None) -> str | None:
    digits = "".join(c for c in phone or "" if c.isdigit())
    return digits[-11:] if len(digits) >= 7 else None


def company_records(rows) -> list[Record]:
    """Return Records of (id, name, credit_code, phone, email, website, address) rows, with their keys."""
    records = []
    for id_, name, code, phone, email, website, address in rows:
        core, places = names.company_name(name)
        code = "".join(code.split()).replace("-", "").upper() if code else None
        record = Record(id_, name, core, places, code=code or None, phone=_digits(phone),
                        domain=email_domain(email) or _website_host(website),
                        address=names.person_name(address)[0] if address else None)
        records.append(record)
    frequency = Counter(gram for r in records for gram in set(names.grams(r.core)))
    endings = Counter(r.core[-size:] for r in records for size in range(2, min(len(r.core) - 1, MAX_ENDING) + 1))
    common = max(COMMON_ENDING, len(records) // 1000)
    for r in records:
        grams = sorted(set(names.grams(r.core)), key=lambda g: (frequency[g], g))
        r.endings = frozenset(r.core[-size:] for size in range(2, min(len(r.core) - 1, MAX_ENDING) + 1)
                              if endings[r.core[-size:]] >= common)
        r.keys = [f"n:{r.core}", f"h:{r.core[:4]}",
                  *(f"g:{g}" for g in grams[:NAME_KEYS if not r.core.isascii() else LATIN_KEYS])] \
            if r.core else []  # a name of punctuation alone says nothing
        r.keys += [f"{tag}:{value}" for tag, value in (("c", r.code), ("p", r.phone), ("d", r.domain)) if value]
    return records


def contact_records(rows) -> list[Record]:
    """Return Records of (id, name, company_id, email, mobile, phone) rows, with their keys."""
    records = []
    for id_, name, company_id, email, mobile, phone in rows:
        plain, pinyin = names.person_name(name)
        record = Record(id_, name, plain, pinyin=pinyin, company_id=company_id,
                        email=email.strip().lower() if email else None, phone=_digits(mobile or phone))
        record.keys = [f"{tag}:{value}" for tag, value in (
            ("k", company_id), ("e", record.email), ("p", record.phone), ("y", pinyin)) if value]
        records.append(record)
    return records


def _boost(score: float, weight: float) -> float:
    return score + (1 - score) * weight


def names_alike(a: Record, b: Record) -> float:
    """Return how alike two normalised names are (0 to 1), what tells them apart weighing double.

    Half the plain similarity, half that of the names without the common ending
    they share: 华信达通电子科技 and 华信达迪电子科技 stay close (a typo), where
    Kalovire Trading and Kalomito Trading, two brands with one industry word, do not.
    Levenshtein rather than rapidfuzz's default (Indel): a typo is one edit,
    while 渊科旺旭 and 园渊科旭 (other characters, shifted) are two.
    """
    if a.core == b.core:
        return 1.0
    whole = Levenshtein.normalized_similarity(a.core, b.core)
    shared = a.endings & b.endings
    if not shared:
        return whole
    cut = len(max(shared, key=len))
    return (whole + Levenshtein.normalized_similarity(a.core[:-cut], b.core[:-cut])) / 2


def score_companies(a: Record, b: Record) -> tuple[float, list[str]]:
    """Return how likely two companies are one (0 to 1) and the reasons, strongest first."""
    if a.code and a.code == b.code:
        return 1.0, ["same credit code"]
    alike = names_alike(a, b)
    reasons = [f"names {alike:.2f} alike after normalising"]
    score = alike
    if a.phone and a.phone == b.phone:
        score, reasons = _boost(score, 0.5), [*reasons, "same phone"]
    if a.domain and a.domain == b.domain:
        score, reasons = _boost(score, 0.4), [*reasons, f"same email domain {a.domain}"]
    if a.address and b.address and fuzz.ratio(a.address, b.address) >= 90:
        score, reasons = _boost(score, 0.3), [*reasons, "same address"]
    if names.places_conflict(a.places, b.places):
        score, reasons = score * 0.7, [*reasons, f"but {'/'.join(sorted(a.places))} ≠ {'/'.join(sorted(b.places))}"]
    if a.code and b.code:
        score, reasons = score * 0.85, [*reasons, "but different credit codes"]
    return round(score, 4), reasons


def score_contacts(a: Record, b: Record) -> tuple[float, list[str]]:
    """Return how likely two contacts are one person and the reasons."""
    alike = max(fuzz.ratio(a.core, b.core), fuzz.ratio(a.pinyin, b.pinyin) if a.pinyin and b.pinyin else 0) / 100
    reasons, score = [f"names {alike:.2f} alike"], alike
    if a.email and a.email == b.email:
        score, reasons = _boost(score, 0.6), [*reasons, "same email"]
    if a.phone and a.phone == b.phone:
        score, reasons = _boost(score, 0.6), [*reasons, "same mobile"]
    if a.company_id == b.company_id:
        score, reasons = _boost(score, 0.2), [*reasons, "same company"]
    if alike < 0.5:  # a shared mailbox or switchboard, two people
        score = min(score, 0.6)
    return round(score, 4), reasons


def candidate_pairs(records: list[Record], only: set[int] | None = None):
    """Yield (a, b) pairs of records sharing a blocking key, each pair once; with `only`, pairs touching it."""
    blocks: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        for key in r.keys:
            blocks[key].append(r)
    seen: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) < 2 or len(members) > MAX_BLOCK:
            continue
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                pair = (a.id, b.id) if a.id < b.id else (b.id, a.id)
                if pair in seen or (only is not None and a.id not in only and b.id not in only):
                    continue
                seen.add(pair)
                yield (a, b) if a.id < b.id else (b, a)


def find_pairs(records: list[Record], score: Callable, only: set[int] | None = None) -> dict:
    """Return {(left_id, right_id): (score, reasons)} for the pairs scoring THRESHOLD or more."""
    found = {}
    for a, b in candidate_pairs(records, only):
        value, reasons = score(a, b)
        if value >= THRESHOLD:
            found[(a.id, b.id)] = (value, reasons)
    return found


def _load(session: Session, kind: str) -> tuple[list[Record], Callable]:
    if kind == "companies":
        rows = session.execute(select(Company.id, Company.name, Company.credit_code, Company.phone,
                                      Company.email, Company.website, Company.address)
                               .execution_options(yield_per=10_000))
        return company_records(rows), score_companies
    rows = session.execute(select(Contact.id, Contact.name, Contact.company_id, Contact.email, Contact.mobile,
                                  Contact.phone).execution_options(yield_per=10_000))
    return contact_records(rows), score_contacts


def scan(session: Session, kind: str = "companies", only_ids=None, progress: Callable | None = None) -> dict:
    """Find the duplicate candidates of `kind` and store them; return the counts.

    `only_ids` rescans just the pairs touching those records (after an import);
    the other candidates stay as they are. Dismissed pairs stay dismissed.
    """
    if kind not in KINDS:
        raise InvalidInput(f"kind: one of {', '.join(KINDS)}", [{"field": "kind",
                                                                  "message": f"one of {', '.join(KINDS)}"}])
    only = None if only_ids is None else set(only_ids)
    records, score = _load(session, kind)
    if progress:
        progress(f"{len(records)} {kind} read")
    found = find_pairs(records, score, only)
    table = DuplicateCandidate.__table__
    existing_query = select(table.c.id, table.c.left_id, table.c.right_id, table.c.status).where(
        table.c.kind == kind)
    if only is not None:
        existing_query = existing_query.where(or_(table.c.left_id.in_(only), table.c.right_id.in_(only)))
    existing = {(row.left_id, row.right_id): row for row in session.execute(existing_query)}
    stale = [row.id for pair, row in existing.items() if pair not in found and row.status == "open"]
    for start in range(0, len(stale), 500):
        session.execute(delete(table).where(table.c.id.in_(stale[start:start + 500])))
    for pair, row in existing.items():
        if pair in found:
            value, reasons = found[pair]
            session.execute(table.update().where(table.c.id == row.id).values(score=value, reasons=reasons))
    new = [{"kind": kind, "left_id": left, "right_id": right, "score": value, "reasons": reasons,
            "status": "open"} for (left, right), (value, reasons) in found.items() if (left, right) not in existing]
    for start in range(0, len(new), 5_000):
        session.execute(insert(table), new[start:start + 5_000])
    session.flush()
    dismissed = sum(1 for pair, row in existing.items() if pair in found and row.status == "dismissed")
    summary = {"kind": kind, "records": len(records), "candidates": len(found), "new": len(new),
               "dismissed_kept": dismissed, "removed": len(stale)}
    if progress:
        progress(f"{summary['candidates']} candidates ({summary['new']} new, {dismissed} dismissed before, "
                 f"{len(stale)} gone)")
    return summary


def forget(session: Session, kind: str, record_id: int) -> None:
    """Drop every candidate pair touching a record that is gone (merged)."""
    table = DuplicateCandidate.__table__
    session.execute(delete(table).where(table.c.kind == kind,
                                        or_(table.c.left_id == record_id, table.c.right_id == record_id)))


def _visible_pairs(session: Session, kind: str, actor):
    """Return (query of candidates whose both records `actor` sees, left model, right model)."""
    model = Company if kind == "companies" else Contact
    left, right = aliased(model, name="left_record"), aliased(model, name="right_record")
    table = DuplicateCandidate
    query = (select(table, left, right).join(left, left.id == table.left_id).join(right, right.id == table.right_id)
             .where(table.kind == kind))
    column = (lambda m: m.id) if kind == "companies" else (lambda m: m.company_id)
    for side in (left, right):
        query = visibility.only_visible(query, visibility.company_filter(session, actor, column(side)))
    return query


def list_candidates(session: Session, kind: str = "companies", *, actor=None, status: str = "open",
                    page: int = 1, per_page: int = 50) -> list[tuple[DuplicateCandidate, object, object]]:
    """Return one page of (candidate, left record, right record) `actor` sees both of, best first."""
    if kind not in KINDS:
        raise InvalidInput(f"kind: one of {', '.join(KINDS)}", [{"field": "kind",
                                                                  "message": f"one of {', '.join(KINDS)}"}])
    query = (_visible_pairs(session, kind, actor).where(DuplicateCandidate.status == status)
             .order_by(DuplicateCandidate.score.desc(), DuplicateCandidate.id)
             .limit(per_page).offset((page - 1) * per_page))
    return [tuple(row) for row in session.execute(query)]


def dismiss(session: Session, candidate_id: int, *, actor=None) -> DuplicateCandidate:
    """Mark a pair as not a duplicate: it stays dismissed through later scans."""
    require(actor, "companies.merge")
    candidate = session.get(DuplicateCandidate, candidate_id)
    if candidate is None or session.execute(_visible_pairs(session, candidate.kind, actor).where(
            DuplicateCandidate.id == candidate_id)).first() is None:
        raise NotFound(f"no duplicate candidate {candidate_id}")
    if candidate.status != "dismissed":
        candidate.status = "dismissed"
        session.flush()
        audit.record(session, "duplicate.dismissed", actor=actor, object_type="duplicate_candidate",
               object_id=candidate.id, changes={"status": ["open", "dismissed"]},
               detail={"kind": candidate.kind, "left_id": candidate.left_id, "right_id": candidate.right_id})
    return candidate


def count_open(session: Session, kind: str, *, actor=None) -> int:
    """Return how many open candidate pairs of `kind` `actor` sees both records of."""
    query = _visible_pairs(session, kind, actor).where(DuplicateCandidate.status == "open")
    return session.scalar(select(func.count()).select_from(query.with_only_columns(DuplicateCandidate.id)
                                                           .subquery()))

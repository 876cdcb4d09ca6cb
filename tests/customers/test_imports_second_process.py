"""A large file is read and checked in a second process: the same job, row for row, as when it is read in this one."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from customers import imports
from customers.models import Company, CompanyLink, Contact

from .imports_helpers import credit_code, csv_bytes, rejections_of, run, xlsx_bytes

IN_PROCESS = imports.Limits()
BESIDE = imports.Limits(second_process_from_rows=1, second_process_when_busy=True)

COMPANIES = [["名称", "统一社会信用代码", "电话", "注册资本(万元)", "邮箱", "成立日期", "ERP编码"],
             ["好公司", credit_code(20), "021-6888 6888", "10", "a@b.cn", "2020-01-01", "G-1"],
             ["坏码公司", credit_code(21)[:-1] + ("0" if credit_code(21)[-1] != "0" else "1"), "", "", "", "", ""],
             ["宽行公司", *["x"] * 300],
             ["重名公司", "", "13800138000", "", "", "", "G-2"],
             ["重名公司", "", "", "", "", "", "G-3"],
             ["", credit_code(22), "", "", "", "", ""],
             ["'=cmd公司", "", "", "1,234.5", "", "2019年1月2日", "G-4"]]
CONTACTS = [["company", "name", "email", "mobile"],
            ["G-1", "张伟", "zhang@b.cn", "138 0013 8001"], ["G-1", "李娜", "bad-email", ""],
            ["G-9", "新公司的人", "", "+86 139-0000-0000"], ["无此公司", "王芳", "", ""]]
RELATIONSHIPS = [["from", "to", "kind", "percent"], ["G-2", "G-1", "shareholder", "60"],
                 ["G-4", "G-1", "shareholder", "50"], ["G-4", "G-2", "supplier", ""], ["G-2", "G-4", "股东", ""]]


def outcome(session_factory, job) -> tuple:
    with session_factory() as session:
        stored = (sorted((c.name, c.credit_code, c.phone, c.registered_capital, c.founded_on, c.name_initials)
                         for c in session.scalars(select(Company))),
                  sorted((c.name, c.email, c.mobile) for c in session.scalars(select(Contact))),
                  sorted((link.kind, link.share_ppm) for link in session.scalars(select(CompanyLink))))
    return (job.status, job.error, job.counts, job.quality, rejections_of(session_factory, job), stored)


def import_all(session_factory, limits, as_xlsx=False) -> list:
    files = [("companies", COMPANIES), ("contacts", CONTACTS), ("relationships", RELATIONSHIPS)]
    return [outcome(session_factory, run(session_factory, kind, xlsx_bytes(rows) if as_xlsx else csv_bytes(rows),
                                         "file.xlsx" if as_xlsx else "file.csv", limits=limits))
            for kind, rows in files]


def test_a_file_read_in_a_second_process_gives_the_same_job_as_one_read_here(session_factory, connection):
    savepoint = connection.begin_nested()
    here = import_all(session_factory, IN_PROCESS)
    savepoint.rollback()
    beside = import_all(session_factory, BESIDE)
    assert beside == here
    companies, contacts, relationships = here
    assert companies[2] == {"rows": 7, "created": 3, "updated": 0, "unchanged": 0, "merged": 0, "rejected": 4}
    assert companies[4] == [(3, "统一社会信用代码", "validity"), (4, "column 201 onwards", "limits"),
                            (6, "名称", "uniqueness"), (7, "名称", "completeness")]
    assert [(c[0], c[3], c[5]) for c in companies[5][0]] == [
        ("=cmd公司", 1_234_500_000, "cgs"), ("好公司", 10_000_000, "hgs"), ("重名公司", None, "zmgs")]
    assert (contacts[2]["created"], contacts[2]["companies_created"]) == (2, 1)
    assert contacts[4] == [(3, "email", "validity"), (5, "company", "consistency")]
    assert relationships[4] == [(3, "percent", "consistency"), (5, "percent", "completeness")]
    assert relationships[5][2] == [("shareholder", 600_000), ("supplier", None)]


# Reading is the same on either backend (the CSV test above runs on both): one backend here.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_workbook_read_in_a_second_process_gives_the_same_job(session_factory, connection):
    savepoint = connection.begin_nested()
    here = import_all(session_factory, IN_PROCESS, as_xlsx=True)
    savepoint.rollback()
    assert import_all(session_factory, BESIDE, as_xlsx=True) == here


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_file_refused_midway_in_the_second_process_fails_the_job_and_writes_nothing(session_factory):
    rows = [["name"], *([f"公司{i}"] for i in range(30))]
    job = run(session_factory, "companies", csv_bytes(rows),
              limits=imports.Limits(second_process_from_rows=1, second_process_when_busy=True, max_rows=25))
    assert job.status == "failed" and job.error == "file.csv: more than 25 data rows"
    with session_factory() as session:
        assert session.scalars(select(Company)).all() == []

"""Imports and exports through the API and the CLI: a background job with its report, exports that import back."""
from __future__ import annotations

import csv
import io
import json

import openpyxl
from sqlalchemy import select

from customers.models import Company
from tests.conftest import Api, make_token, wait_for

from .imports_helpers import credit_code, csv_bytes, importer, run, table_counts


def upload(api, kind, content, filename="file.csv", expect=202, **form):
    response = api.post("/api/imports", data={"kind": kind, "file": (io.BytesIO(content), filename), **form},
                        content_type="multipart/form-data")
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def finished(api, job_id):
    return wait_for(lambda: (body := api.get(f"/api/imports/{job_id}").get_json())["status"] in ("done", "failed")
                    and body)


def test_an_upload_runs_in_the_background_and_reports_by_row_and_column(live_app):
    data = Api(live_app.test_client(), make_token(live_app, "dana", ("data",)))
    content = csv_bytes([["名称", "统一社会信用代码", "电话"], ["上海浦江贸易有限公司", credit_code(20), "021-6888 6888"],
                         ["坏公司", "123", "12"]], "gbk")
    queued = upload(data, "companies", content, "客户.csv")
    assert queued["status"] in ("queued", "running", "done") and queued["encoding"] == "gb18030"
    job = finished(data, queued["id"])
    assert job["status"] == "done" and job["processed_rows"] == job["total_rows"] == 2
    assert job["counts"] == {"rows": 2, "created": 1, "updated": 0, "unchanged": 0, "merged": 0, "rejected": 1}
    assert [(r["row"], r["column"], r["rule"]) for r in job["rejections"]] == [
        (3, "统一社会信用代码", "validity"), (3, "电话", "validity")]
    assert {"rule": "validity", "field": "phone", "passed": 1, "failed": 1} in job["quality"]
    report = data.get(job["rejections_url"])
    assert report.status_code == 200 and report.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(report.get_data(as_text=True).lstrip("\ufeff"))))
    assert lines[0] == ["row", "column", "rule", "reason"] and lines[1][:3] == ["3", "统一社会信用代码", "validity"]
    stranger = Api(live_app.test_client(), make_token(live_app, "sam", ("sales",)))
    assert stranger.get(f"/api/imports/{job['id']}").status_code == 404


def test_refusals_come_at_once_as_422_and_413_in_json(live_app):
    data = Api(live_app.test_client(), make_token(live_app, "dana", ("data",)))
    missing = upload(data, "contacts", csv_bytes([["company", "title"], ["甲", "经理"]]), expect=422)
    assert missing["errors"][0]["field"] == "name" and "missing required column" in missing["errors"][0]["message"]
    wrong = upload(data, "companies", "name\nCafé ÿ\n".encode("latin-1"), "bad.csv", expect=422)
    assert wrong["errors"][0]["file"] == "bad.csv"
    assert upload(data, "companies", b"name\n", "x.csv", expect=422, mapping="{oops")["errors"][0]["field"] == \
        "mapping"
    # Past the app's request limit (20 MB): refused at the door. The body is built by hand, as the test
    # client would spool a file this big to disk and leave it open when the request is refused.
    body = (b'--b\r\nContent-Disposition: form-data; name="kind"\r\n\r\ncompanies\r\n--b\r\n'
            b'Content-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\nname\n'
            + b"x" * (21 * 1024 * 1024) + b"\r\n--b--\r\n")
    big = data.post("/api/imports", data=body, content_type="multipart/form-data; boundary=b")
    assert big.status_code == 413 and big.get_json()["errors"][0]["message"]
    sales = Api(live_app.test_client(), make_token(live_app, "sam", ("sales",)))
    assert sales.post("/api/imports", data={"kind": "companies"}).status_code == 403


def test_a_dry_run_through_the_api_writes_nothing(live_app):
    data = Api(live_app.test_client(), make_token(live_app, "dana", ("data",)))
    job = finished(data, upload(data, "companies", csv_bytes([["name"], ["试运行公司"]]), dry_run="true")["id"])
    assert job["dry_run"] and job["counts"]["created"] == 1
    assert data.get("/api/companies").get_json() == []


def test_an_export_neutralises_formulas_and_imports_back_unchanged(session_factory, api, app):
    user = importer(session_factory)
    companies = csv_bytes([["name", "credit_code", "industry", "registered_capital", "phone", "erp_code", "tags",
                            "parent", "website"],
                           ['=HYPERLINK("http://evil.example","点我")', credit_code(30), "I65", "1234.56",
                            "13800138000", "-1+1", "甲, 乙", "", "https://a.cn"],
                           ["@SUM(A1)集团", "", "C", "", "", "G-1", "", "", ""],
                           ["+子公司", "", "", "", "", "", "", "@SUM(A1)集团", ""]])
    run(session_factory, "companies", companies, user_id=user)
    run(session_factory, "contacts", csv_bytes([["company", "name", "mobile", "email"],
                                                [credit_code(30), "=1+2", "13900000000", "a@b.cn"],
                                                ["G-1", "张伟", "", ""]]), user_id=user)
    exporter = Api(app.test_client(), _data_token(session_factory))
    response = exporter.get("/api/exports/companies?format=csv")
    assert response.status_code == 200 and response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    by_name = {row[0]: row for row in rows[1:]}
    assert "'=HYPERLINK(\"http://evil.example\",\"点我\")" in by_name
    assert by_name["'+子公司"][13] == "'@SUM(A1)集团" and by_name["'@SUM(A1)集团"][12] == "G-1"
    response.close()
    contacts = exporter.get("/api/exports/contacts")
    contacts.close()
    contacts = contacts.data
    before = table_counts(session_factory)
    again = run(session_factory, "companies", response.data, "companies.csv", user_id=user)
    assert again.counts == {"rows": 3, "created": 0, "updated": 0, "unchanged": 3, "merged": 0, "rejected": 0}
    assert run(session_factory, "contacts", contacts, user_id=user).counts["unchanged"] == 2
    xlsx = exporter.get("/api/exports/companies?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data), read_only=True).worksheets[0]
    cells = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert "'=HYPERLINK(\"http://evil.example\",\"点我\")" in cells
    assert run(session_factory, "companies", xlsx.data, "c.xlsx", user_id=user).counts["unchanged"] == 3
    xlsx.close()
    assert table_counts(session_factory) == before
    assert exporter.get("/api/exports/companies?format=pdf").status_code == 422


def test_an_export_holds_only_the_companies_the_caller_sees(session_factory, api, users):
    from accounts.permissions import grant

    run(session_factory, "companies", csv_bytes([["name"], ["别人的公司"]]))
    assert api["alice"].post("/api/companies", json={"name": "爱丽丝的公司"}).status_code == 201
    assert api["alice"].get("/api/exports/companies").status_code == 403  # sales may not export
    with session_factory.begin() as session:
        grant(session, "sales", "companies.export", actor=None)
    exported = api["alice"].get("/api/exports/companies")
    assert [line.split(",")[0] for line in exported.get_data(as_text=True).splitlines()[1:]] == ["爱丽丝的公司"]
    exported.close()
    [entry] = api["admin"].get("/api/audit?action=companies.exported").get_json()
    assert entry["actor"] == "alice"


def _data_token(session_factory) -> str:
    import accounts

    with session_factory.begin() as session:
        return accounts.create_token(session, accounts.get_user(session, "dana"))


def test_the_cli_imports_a_real_file_with_a_report(app, session_factory, tmp_path):
    path = tmp_path / "客户.csv"
    path.write_bytes(csv_bytes([["名称", "统一社会信用代码"], ["命令行公司", credit_code(40)], ["坏", "1"]], "gbk"))
    result = app.test_cli_runner().invoke(args=["import", "companies", str(path)])
    assert result.exit_code == 0, result.output
    assert "created 1" in result.output and "rejected 1" in result.output
    assert "row 3, 统一社会信用代码" in result.output
    with session_factory() as session:
        assert session.scalar(select(Company.name).where(Company.credit_code == credit_code(40))) == "命令行公司"
    dry = app.test_cli_runner().invoke(args=["import", "companies", str(path), "--dry-run"])
    assert "unchanged 1" in dry.output and "dry run" in dry.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["title"], ["x"]]))
    refused = app.test_cli_runner().invoke(args=["import", "contacts", str(bad), "--mapping",
                                                 json.dumps({"title": "title"})])
    assert refused.exit_code == 1 and "missing required column 'company'" in refused.output


def test_the_import_and_export_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"/api/imports", "/api/imports/{id}", "/api/imports/{id}/rejections.csv", "/api/exports/companies",
            "/api/exports/contacts"} <= set(paths)
    assert "multipart/form-data" in paths["/api/imports"]["post"]["requestBody"]["content"]


def test_a_job_left_queued_by_a_crash_runs_when_the_worker_starts(live_app):
    from customers import imports
    from web.customers.imports import start_import_runner

    factory = live_app.extensions["session_factory"]
    with factory.begin() as session:  # as an upload does, the process dying before its runner woke
        job_id = imports.submit(session, "companies", "left.csv", csv_bytes([["name"], ["遗留公司"]])).id

    def status():
        with factory() as session:
            return session.get(imports.jobs.ImportJob, job_id).status

    runner = start_import_runner(live_app)
    try:
        wait_for(lambda: status() == "done")
    finally:
        runner.stop_polling()
        runner.join(10)
    with factory() as session:
        assert session.scalar(select(Company.name).where(Company.name == "遗留公司")) == "遗留公司"

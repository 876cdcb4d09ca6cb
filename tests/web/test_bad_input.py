"""Bad input is a 4xx naming the problem, never a 500: deep JSON, lone surrogates, huge ids, odd bodies."""
from __future__ import annotations

import io

import pytest

from tests.conftest import FIXTURES, deploy
from tests.signing.conftest import data_dir, keys_template  # noqa: F401 - fixtures: revocations need keys
from web.input_checks import MAX_DEPTH

BIG = 2**70
JSON_ROUTES = [("post", "/api/process-instances"), ("post", "/api/companies"), ("post", "/api/contacts"),
               ("post", "/api/opportunities"), ("post", "/api/tenders"), ("post", "/api/contracts"),
               ("post", "/api/process-instances/1/variables"), ("post", "/api/signing/revocations"),
               ("post", "/api/tasks/x/complete"), ("patch", "/api/companies/1"), ("patch", "/api/contacts/1")]


def deep(depth: int, inner: str = "1") -> str:
    return '{"data": ' + '{"a": ' * depth + inner + "}" * depth + "}"


@pytest.mark.parametrize("depth", [65, 990, 100_000])
def test_json_nested_too_deep_is_a_400_on_every_json_route(api, depth):
    for method, path in JSON_ROUTES:
        response = getattr(api["admin"], method)(path, data=deep(depth), content_type="application/json")
        assert response.status_code == 400, (path, response.get_json())
        assert response.get_json()["errors"] == [
            {"message": f"the body is nested deeper than {MAX_DEPTH} levels", "field": "body"}]


def test_json_a_little_deep_is_still_read(api):
    deploy(api["admin"], FIXTURES / "loop.bpmn")
    # 30 levels of process data: under the data limit (32) and the body limit (64).
    body = '{"process_key": "loop", "data": ' + '{"a": ' * 30 + "1" + "}" * 30 + "}"
    assert api["alice"].post("/api/process-instances", data=body,
                             content_type="application/json").status_code == 201


@pytest.mark.parametrize("body", ['{"name": "\\ud800"}', '{"name": "x\\udfffy"}', '{"\\ud800": 1}',
                                  '{"name": "ok", "city": ["\\udc00"]}'])
def test_a_lone_surrogate_is_a_400(api, body):
    for path in ("/api/companies", "/api/contacts", "/api/contracts"):
        response = api["admin"].post(path, data=body, content_type="application/json")
        assert response.status_code == 400, response.get_json()
        assert response.get_json()["errors"] == [{"message": "invalid unicode (lone surrogate)",
                                                  "field": "body"}]
    assert api["admin"].get("/api/companies").get_json() == []


def test_nul_in_json_a_query_a_path_or_a_file_name_is_a_400_naming_it(api):
    """PostgreSQL refuses NUL in text and JSON: caught at the door on both backends alike."""
    cases = [(api["admin"].post("/api/companies", json={"name": "a\x00b"}), "body"),
             (api["admin"].get("/api/tasks?group=sales%00"), "group"),
             (api["admin"].get("/api/tasks/abc%00def"), "task_id"),
             (api["admin"].get("/api/companies?q%00=x"), "q\\x00"),
             (api["admin"].post("/api/process-definitions", content_type="multipart/form-data",
                                data={"file": (io.BytesIO(b"<x/>"), "a\x00.bpmn")}), "file"),
             (api["alice"].post("/api/contracts/1/sign", content_type="multipart/form-data",
                                data={"name": "x\x00", "email": "a@b.cn"}), "name")]
    for response, field in cases:
        assert response.status_code == 400, (field, response.get_json())
        assert response.get_json()["errors"][0]["field"] == field
    assert api["admin"].get("/api/companies").get_json() == []


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_number_json_columns_cannot_hold_is_a_400(api, number):
    deploy(api["admin"], FIXTURES / "loop.bpmn")
    response = api["alice"].post("/api/process-instances", data='{"process_key": "loop", "data": {"x": %s}}'
                                 % number, content_type="application/json")
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["errors"][0]["field"] == "body"


def test_a_surrogate_pair_is_one_character(api):
    created = api["admin"].post("/api/companies", data='{"name": "Emoji \\ud83d\\ude00 Ltd"}',
                                content_type="application/json")
    assert created.status_code == 201 and created.get_json()["name"] == "Emoji \U0001F600 Ltd"


ID_PATHS = ["/api/process-instances/{}", "/api/contracts/{}", "/api/companies/{}", "/api/companies/{}/group",
            "/api/opportunities/{}", "/api/tenders/{}", "/api/contacts/{}", "/api/contracts/{}/pdf",
            "/api/contracts/{}/verify", "/api/opportunities/{}/committee"]


def test_an_id_out_of_range_in_a_url_is_a_404(api):
    for path in ID_PATHS:
        for number in (BIG, 2**63, 2**31, 0):
            response = api["admin"].get(path.format(number))
            assert response.status_code == 404, (path, number, response.get_json())
            assert response.get_json()["errors"][0]["message"]
    for path in ("/api/companies/{}", "/api/process-instances/{}/variables"):
        assert api["admin"].patch(path.format(BIG), json={"name": "x"}).status_code in (404, 405)
        assert api["admin"].post(path.format(BIG), json={"data": {}}).status_code in (404, 405)


def test_the_largest_id_is_still_an_id(api):
    response = api["admin"].get(f"/api/companies/{2**31 - 1}")
    assert response.status_code == 404 and "company" in response.get_json()["errors"][0]["message"]


@pytest.mark.parametrize("path, body, field", [
    ("/api/contacts", {"company_id": BIG, "name": "x"}, "company_id"),
    ("/api/companies", {"name": "x", "parent_id": BIG}, "parent_id"),
    ("/api/opportunities", {"company_id": BIG, "title": "x"}, "company_id"),
    ("/api/tenders", {"company_id": BIG, "title": "x"}, "company_id"),
    ("/api/opportunities", {"company_id": 1, "title": "x", "amount": BIG}, "amount"),
    ("/api/contracts", {"customer": "c", "title": "t", "amount": "1.00", "instance_id": BIG,
                        "clauses": [{"title": "a", "text": "b"}]}, "instance_id"),
])
def test_a_number_beyond_64_bits_in_a_body_is_a_422_naming_the_field(api, path, body, field):
    response = api["admin"].post(path, json=body)
    assert response.status_code == 422, response.get_json()
    assert field in {p["field"] for p in response.get_json()["errors"]}


@pytest.mark.parametrize("query, field", [(f"instance_id={BIG}", "instance_id"),
                                          (f"company_id={BIG}", "company_id")])
def test_a_number_beyond_64_bits_in_a_query_is_a_422_naming_the_field(api, query, field):
    for path in ("/api/tasks", "/api/contracts", "/api/contacts", "/api/opportunities", "/api/companies"):
        response = api["admin"].get(f"{path}?{query}")
        if response.status_code == 200:  # a parameter this list does not take
            continue
        assert response.status_code == 422, (path, response.get_json())
        assert field in {p["field"] for p in response.get_json()["errors"]}, path
    assert api["admin"].get(f"/api/tasks?instance_id={BIG}").status_code == 422


@pytest.mark.parametrize("data, content_type", [
    (b"\xff\xfe\x00{not utf-8", "application/json"), (b'["a", "list"]', "application/json"),
    (b'"a string"', "application/json"), (b"null", "application/json"), (b"", "application/json"),
    (b'{"name": "x"}', "text/plain"), (b"{\"name\": 1e999999}", "application/json"),
])
def test_a_body_that_is_not_a_json_object_is_a_400(api, data, content_type):
    for method, path in JSON_ROUTES:
        response = getattr(api["admin"], method)(path, data=data, content_type=content_type)
        assert response.status_code in (400, 404, 422), (path, response.get_json())


def test_repeated_query_parameters_take_the_first(api):
    assert api["admin"].get("/api/companies?q=a&q=b&parent_id=1&parent_id=x").status_code == 200


def test_a_huge_content_length_is_a_413(client, users):
    response = client.post("/api/companies", data=b"{}", content_type="application/json",
                           headers={"Authorization": f"Bearer {users['admin']}"},
                           environ_overrides={"CONTENT_LENGTH": str(10**12)})
    assert response.status_code == 413


def test_an_upload_with_no_file_name_is_answered(api):
    response = api["alice"].post("/api/contracts/verify", data={"file": (io.BytesIO(b"%PDF-1.7 x"), "")},
                                 content_type="multipart/form-data")
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "file"
    deployed = api["admin"].post("/api/process-definitions", data={"file": (io.BytesIO(b"<x/>"), "")},
                                 content_type="multipart/form-data")
    assert deployed.status_code < 500


def test_a_serial_no_certificate_can_have_is_a_422(api, data_dir):
    for serial in ("0", "000", "f" * 40):
        response = api["admin"].post("/api/signing/revocations", json={"serial": serial})
        assert response.status_code == 422, (serial, response.get_json())
        assert response.get_json()["errors"][0]["field"] == "serial"

"""The OpenAPI document, built from the same marshmallow schemas the routes use."""
from __future__ import annotations

import functools
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint

from customers.imports import KINDS as IMPORT_KINDS

from . import audit_schemas, contract_schemas, crm_schemas, schemas, token_schemas
from .customers import duplicate_schemas, network_schemas
from .customers import imports as customer_imports, schemas as customer_schemas
from .customers import transaction_schemas
from .auth import PUBLIC, declare_permissions

# The modules whose SCHEMAS and ROUTES make the customer and CRM part of the document.
CRM_SCHEMA_MODULES = (customer_schemas, network_schemas, transaction_schemas, duplicate_schemas, crm_schemas)

bp = Blueprint("openapi", __name__)
declare_permissions(bp, {"openapi_document": PUBLIC})

ERRORS = {str(code): {"description": text, "content": {"application/json": {"schema": "Error"}}}
          for code, text in ((400, "malformed request"), (401, "no or a bad token"),
                             (403, "not allowed"), (404, "not found"),
                             (409, "conflict: already done, changed meanwhile"),
                             (413, "too large"), (422, "invalid content"))}


def _json(schema, description="OK", many=False):
    body = {"type": "array", "items": schema} if many else schema
    return {"description": description, "content": {"application/json": {"schema": body}}}


def _op(summary, responses, body=None, params=()):
    op = {"summary": summary, "responses": {**responses, **ERRORS}, "parameters": list(params)}
    if body is not None:
        op["requestBody"] = {"required": True, "content": body}
    return op


def _path_param(name, type_="string"):
    return {"name": name, "in": "path", "required": True, "schema": {"type": type_}}


def _query(name, description, type_="string"):
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": type_}}


PATHS = {
    "/api/process-definitions": {
        "post": _op("Deploy .bpmn/.dmn files", {"201": _json("Deployment", "one per process", many=True)},
                    body={"multipart/form-data": {"schema": {"type": "object", "properties": {
                        "file": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}),
        "get": _op("Every process key with its newest version", {"200": _json("Definition", many=True)}),
    },
    "/api/process-definitions/{key}/versions": {
        "get": _op("Every version of a process", {"200": _json("Definition", many=True)},
                   params=[_path_param("key")]),
    },
    "/api/process-instances": {
        "post": _op("Start the newest version of a process", {"201": _json("InstanceDetail")},
                    body={"application/json": {"schema": "StartInstance"}}),
    },
    "/api/process-instances/{id}": {
        "get": _op("An instance with its tasks and history", {"200": _json("InstanceDetail")},
                   params=[_path_param("id", "integer")]),
    },
    "/api/process-instances/{id}/variables": {
        "post": _op("Merge data into a running instance (as Camunda's process variables), with a "
                    "reason; names the process protects only in a repair (instances.repair)",
                    {"200": _json("InstanceDetail")},
                    body={"application/json": {"schema": "SetVariables"}},
                    params=[_path_param("id", "integer")]),
    },
    "/api/messages": {
        "post": _op("Deliver a message (as Camunda's message correlation) to the one instance waiting for "
                    "it, by correlation key or instance id, merging its data; else start the newest "
                    "process with that message start event (201). 404: nothing waits; 409: several "
                    "wait and the request did not say which", {"200": _json("MessageDelivery"),
                                                              "201": _json("MessageDelivery", "started")},
                    body={"application/json": {"schema": "SendMessage"}}),
    },
    "/api/signals": {
        "post": _op("Send a signal to every instance waiting for it (and start the processes with that "
                    "signal start); count 0 when nothing waits", {"200": _json("SignalResult")},
                    body={"application/json": {"schema": "SendSignal"}}),
    },
    "/api/process-instances/{id}/retry": {
        "post": _op("Run an instance in status error again (admins)", {"200": _json("InstanceDetail")},
                    params=[_path_param("id", "integer")]),
    },
    "/api/tasks": {
        "get": _op("Open tasks the caller may work on", {"200": _json("TaskSummary", many=True)},
                   params=[_query("instance_id", "only this instance's tasks", "integer"),
                           _query("assignee", "`me`: only tasks claimed by the caller"),
                           _query("group", "only tasks of this candidate group")]),
    },
    "/api/tasks/{id}": {"get": _op("A task with its form as JSON Schema", {"200": _json("Task")},
                                   params=[_path_param("id")])},
    "/api/tasks/{id}/claim": {"post": _op("Assign the task to the caller", {"200": _json("Task")},
                                          params=[_path_param("id")])},
    "/api/tasks/{id}/unclaim": {"post": _op("Give the task back to its groups", {"200": _json("Task")},
                                            params=[_path_param("id")])},
    "/api/tasks/{id}/complete": {
        "post": _op("Complete the task with form data", {"200": _json("Task")},
                    body={"application/json": {"schema": "CompleteTask"}}, params=[_path_param("id")]),
    },
    "/api/contracts": {
        "post": _op("Draft a contract and render it to PDF/A-3b", {"201": _json("ContractDetail")},
                    body={"application/json": {"schema": "DraftContract"}}),
        "get": _op("Contracts, newest first", {"200": _json("Contract", many=True)},
                   params=[_query("instance_id", "only this process instance's", "integer"),
                           _query("customer", "part of the customer's name, any case"),
                           _query("status", "rendered, sealed or completed"),
                           _query("from", "created at or after (date or ISO 8601 time)"),
                           _query("to", "created before; a bare date includes that day")]),
    },
    "/api/contracts/{id}": {"get": _op("A contract with its signatures, revisions and events",
                                       {"200": _json("ContractDetail")},
                                       params=[_path_param("id", "integer")])},
    "/api/contracts/{id}/pdf": {
        "get": _op("The newest revision (or `revision=N`) as PDF; records a view",
                   {"200": {"description": "the PDF", "content": {"application/pdf": {
                       "schema": {"type": "string", "format": "binary"}}}}},
                   params=[_path_param("id", "integer"), _query("revision", "a revision number", "integer")]),
    },
    "/api/contracts/{id}/verify": {"get": _op("Verify the stored bytes of the newest revision",
                                              {"200": _json("Verification")},
                                              params=[_path_param("id", "integer")])},
    "/api/contracts/verify": {
        "post": _op("Verify an uploaded PDF (at most 20 MB)", {"200": _json("Verification")},
                    body={"multipart/form-data": {"schema": {"type": "object", "properties": {
                        "file": {"type": "string", "format": "binary"}}}}}),
    },
    "/api/contracts/{id}/seal": {"post": _op("Seal with the company's certification signature "
                                             "(admins, group legal)", {"200": _json("ContractDetail")},
                                             params=[_path_param("id", "integer")])},
    "/api/process-instances/{id}/contract": {
        "post": _op("Draft the deal's contract from its data and seal it (admins, group legal)",
                    {"201": _json("ContractDetail")}, params=[_path_param("id", "integer")]),
    },
    "/api/contracts/{id}/signing-links": {
        "post": _op("Make a personal one-time signing link for the customer's signer (groups legal, "
                    "sales); the URL is shown once", {"201": _json("SigningLink")},
                    params=[_path_param("id", "integer")],
                    body={"application/json": {"schema": "SigningLinkRequest"}}),
    },
    "/api/contracts/{id}/sign": {
        "post": _op("Record the customer's signature made elsewhere: upload the signed PDF, the stored "
                    "sealed revision plus the customer's signature; then complete (group legal)",
                    {"200": _json("ContractDetail")}, params=[_path_param("id", "integer")],
                    body={"multipart/form-data": {"schema": {"type": "object", "properties": {
                        "file": {"type": "string", "format": "binary"}}}}}),
    },
    "/api/signing/company-certificate": {
        "post": _op("Make a PKCS#12 from a real CA the company's seal (admins)",
                    {"200": _json("Certificate")},
                    body={"multipart/form-data": {"schema": {"type": "object", "properties": {
                        "file": {"type": "string", "format": "binary"}, "passphrase": {"type": "string"}}}}}),
    },
    "/api/signing/trust-roots": {
        "post": _op("Trust a CA certificate, PEM or DER (admins)", {"201": _json("Certificate")},
                    body={"multipart/form-data": {"schema": {"type": "object", "properties": {
                        "file": {"type": "string", "format": "binary"}}}}}),
    },
    "/api/signing/revocations": {
        "post": _op("Revoke a certificate of the internal CA (admins)", {"200": {"description": "revoked"}},
                    body={"application/json": {"schema": "Revocation"}}),
    },
}


@functools.cache
def build_spec() -> dict:
    """Return the OpenAPI 3 document as a dict."""
    spec = APISpec(title="Dealflow API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Authenticate with `Authorization: Bearer TOKEN` "
                                        "(`flask --app app token create NAME`)."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name in ("Error", "Definition", "Deployment", "Task", "TaskSummary", "InstanceDetail", "StartInstance",
                 "CompleteTask", "SetVariables", "SendMessage", "MessageDelivery", "SendSignal",
                 "SignalResult", "Contract", "ContractDetail", "DraftContract",
                 "SigningLinkRequest", "SigningLink", "Verification", "Certificate", "Revocation"):
        module = schemas if hasattr(schemas, f"{name}Schema") else contract_schemas
        spec.components.schema(name, schema=getattr(module, f"{name}Schema"))
    for path, operations in PATHS.items():
        spec.path(path=path, operations=operations)
    _add_crm(spec)
    _add_tokens(spec)
    _add_audit(spec)
    _add_imports(spec)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    _numeric_bounds(document)
    return document


def _numeric_bounds(node) -> None:
    """Make bounds numbers: apispec writes a Decimal field's Range as a string ("0.00"), not valid JSON Schema."""
    if isinstance(node, dict):
        for key in ("minimum", "maximum"):
            if isinstance(node.get(key), str):
                node[key] = float(node[key])
        for value in node.values():
            _numeric_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _numeric_bounds(value)


@bp.get("/api/openapi.json")
def openapi_document():
    return build_spec()


def _add_crm(spec: APISpec) -> None:
    """Add the company, contact and CRM routes and their schemas, as their schema modules list them."""
    for module in CRM_SCHEMA_MODULES:
        for name, schema in module.SCHEMAS.items():
            spec.components.schema(name, schema=schema)
    paths: dict = {}
    routes = [route for module in CRM_SCHEMA_MODULES for route in module.ROUTES]
    for path, method, summary, status, response, many, body, query in routes:
        if response is None:
            responses = {status: {"description": "done"}}
        elif response == crm_schemas.REPORT:
            responses = {status: {"description": "OK", "content": {"application/json": {
                "schema": {"type": "object"}}}}}
        else:
            responses = {status: _json(response, many=many)}
        params = [_path_param(name, "integer") for name in re.findall(r"{(\w+)}", path)]
        params += [_query(name, text, "integer" if (name.endswith("_id") and name != "owner_id")
                          or name in ("group_of", "months", "limit", "page", "per_page")
                          else "string") for name, text in query]
        content = {"application/json": {"schema": body}} if body else None
        paths.setdefault(path, {})[method] = _op(summary, responses, body=content, params=params)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)


def _add_imports(spec: APISpec) -> None:
    """Add the import and export routes: multipart in, a job or a file out (web.customers.imports)."""
    spec.components.schema("ImportJob", schema=customer_imports.ImportJobSchema)
    spec.components.schema("ImportRejection", schema=customer_imports.RejectionSchema)
    form = {"type": "object", "required": ["kind", "file"], "properties": {
        "kind": {"type": "string", "enum": list(IMPORT_KINDS)},
        "file": {"type": "string", "format": "binary"},
        "mapping": {"type": "string", "description": 'JSON {"file header": "field"}'},
        "dry_run": {"type": "boolean"}}}
    job = {"description": "the job with its counts, report and first 100 rejections",
           "content": {"application/json": {"schema": "ImportJob"}}}
    csv_file = {"description": "CSV (UTF-8 with BOM)", "content": {"text/csv": {"schema": {"type": "string"}}}}
    spec.path(path="/api/imports", operations={"post": {
        "summary": "Import a CSV or XLSX file in the background (companies.import)", "responses": {
            "202": job, **ERRORS}, "requestBody": {"required": True, "content": {"multipart/form-data": {
                "schema": form}}}}})
    spec.path(path="/api/imports/{id}", operations={"get": {
        "summary": "An import job: status, progress, counts, data-quality report", "parameters": [
            _path_param("id", "integer")], "responses": {"200": job, **ERRORS}}})
    spec.path(path="/api/imports/{id}/rejections.csv", operations={"get": {
        "summary": "Every rejection of an import job", "parameters": [_path_param("id", "integer")],
        "responses": {"200": csv_file, **ERRORS}}})
    for what in ("companies", "contacts"):
        spec.path(path=f"/api/exports/{what}", operations={"get": {
            "summary": f"The {what} the caller sees, as the import reads them (companies.export)",
            "parameters": [_query("format", "csv (default) or xlsx")],
            "responses": {"200": {**csv_file, "description": "CSV or XLSX"}, **ERRORS}}})


TOKEN_PATHS = {
    "/api/tokens": {
        "get": _op("The caller's API tokens, or (users.manage) `user`'s", {"200": _json("Token", many=True)},
                   params=[_query("user", "whose tokens (users.manage); default the caller's")]),
        "post": _op("Create an API token for the caller; the token is in this answer only",
                    {"201": _json("NewToken")}, body={"application/json": {"schema": "TokenIn"}}),
    },
    "/api/tokens/{id}": {
        "delete": _op("Revoke a token at once (its holder, or users.manage)", {"204": {"description": "revoked"}},
                      params=[_path_param("id", "integer")]),
    },
}


def _add_tokens(spec: APISpec) -> None:
    """Add the token routes (web.tokens) and their schemas."""
    for name in ("Token", "NewToken", "TokenIn"):
        spec.components.schema(name, schema=getattr(token_schemas, f"{name}Schema"))
    for path, operations in TOKEN_PATHS.items():
        spec.path(path=path, operations=operations)


_AUDIT_FILTERS = [("actor", "by this user name"), ("object_type", "company, contact, opportunity, ..."),
                  ("object_id", "the object's id"), ("action", "e.g. company.renamed"),
                  ("since", "at or after (ISO 8601)"), ("until", "before (ISO 8601)"),
                  ("instance_id", "of this process instance")]


def _add_audit(spec: APISpec) -> None:
    """Add the audit log routes (web.audit), which need the permission audit.read."""
    for name, schema in audit_schemas.SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    filters = [_query(name, text, "integer" if name == "instance_id" else "string")
               for name, text in _AUDIT_FILTERS]
    spec.path(path="/api/audit", operations={"get": _op(
        "The audit log, newest first (audit.read)", {"200": _json("AuditEntry", many=True)},
        params=[*filters, _query("before_id", "the next page: entries older than this id", "integer"),
                _query("limit", "at most this many, 1 to 500 (default 100)", "integer")])})
    spec.path(path="/api/audit/export", operations={"get": _op(
        "The audit log as CSV, oldest first (audit.read)",
        {"200": {"description": "CSV; cells a spreadsheet would run as formulas start with '",
                 "content": {"text/csv": {"schema": {"type": "string"}}}}},
        params=[*filters, _query("format", "csv")])})

"""The OpenAPI document, built from the same marshmallow schemas the routes use."""
from __future__ import annotations

import functools

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint

from . import schemas

bp = Blueprint("openapi", __name__)

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
                 "CompleteTask"):
        spec.components.schema(name, schema=getattr(schemas, f"{name}Schema"))
    for path, operations in PATHS.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    return document


@bp.get("/api/openapi.json")
def openapi_document():
    return build_spec()

"""The REST API of the outside contract. Routes parse, call one service, render."""
from __future__ import annotations

from flask import Blueprint, request

from engine import definitions, events, instances, tasks

from .auth import current_actor, declare_permissions
from .db import get_session
from .errors import BadRequest
from .schemas import (CompleteTaskSchema, DefinitionSchema, InstanceDetailSchema,
                      MessageDeliverySchema, SendMessageSchema, SendSignalSchema,
                      SetVariablesSchema, SignalResultSchema, StartInstanceSchema, TaskQuerySchema,
                      TaskSchema, TaskSummarySchema)

bp = Blueprint("api", __name__, url_prefix="/api")
declare_permissions(bp, {
    "deploy_definitions": "processes.deploy",
    "list_definitions": "processes.read",
    "list_definition_versions": "processes.read",
    "start_instance": "processes.start",
    "show_instance": "instances.read",
    "set_instance_variables": "instances.variables.set",
    "retry_instance": "instances.repair",
    "list_tasks": "tasks.work",
    "show_task": "tasks.work",
    "claim_task": "tasks.work",
    "unclaim_task": "tasks.work",
    "complete_task": "tasks.work",
    "send_message": "messages.send",
    "send_signal": "messages.send",
})

# Built once: marshmallow deep-copies every field when a schema is instantiated.
start_instance_schema = StartInstanceSchema()
complete_task_schema = CompleteTaskSchema()
set_variables_schema = SetVariablesSchema()
definition_schema = DefinitionSchema()
definitions_schema = DefinitionSchema(many=True)
instance_schema = InstanceDetailSchema()
task_schema = TaskSchema()
task_query_schema = TaskQuerySchema()
task_summaries_schema = TaskSummarySchema(many=True)
send_message_schema = SendMessageSchema()
message_delivery_schema = MessageDeliverySchema()
send_signal_schema = SendSignalSchema()
signal_result_schema = SignalResultSchema()


def json_body() -> dict:
    """Return the request's JSON object, or raise BadRequest naming the problem."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", [{"message": "expected a JSON object",
                                                              "field": "body"}])
    return body


@bp.post("/process-definitions")
def deploy_definitions():
    files = [(f.filename or "upload.bpmn", f.read()) for f in request.files.getlist("file")]
    deployments = definitions.deploy(get_session(), files, actor=current_actor())
    body = [{**definition_schema.dump(d.definition), "created": d.is_new}
            for d in deployments]
    return body, 201


@bp.get("/process-definitions")
def list_definitions():
    return definitions_schema.dump(definitions.list_latest(get_session()))


@bp.get("/process-definitions/<key>/versions")
def list_definition_versions(key):
    return definitions_schema.dump(definitions.list_versions(get_session(), key))


@bp.post("/process-instances")
def start_instance():
    body = start_instance_schema.load(json_body())
    instance = instances.start_instance(get_session(), body["process_key"], data=body["data"],
                                        business_key=body["business_key"], actor=current_actor())
    return instance_schema.dump(instance), 201


@bp.get("/process-instances/<int:instance_id>")
def show_instance(instance_id):
    return instance_schema.dump(instances.get_instance(get_session(), instance_id, actor=current_actor()))


@bp.post("/process-instances/<int:instance_id>/variables")
def set_instance_variables(instance_id):
    body = set_variables_schema.load(json_body())
    instance = instances.set_variables(get_session(), instance_id, body["data"], actor=current_actor(),
                                       reason=body["reason"], repair=body["repair"], unset=body["unset"])
    return instance_schema.dump(instance)


@bp.post("/process-instances/<int:instance_id>/retry")
def retry_instance(instance_id):
    instance = instances.retry_instance(get_session(), instance_id, actor=current_actor())
    return instance_schema.dump(instance)


@bp.get("/tasks")
def list_tasks():
    query = task_query_schema.load(request.args)
    rows = tasks.list_open_tasks(get_session(), current_actor(), instance_id=query["instance_id"],
                                 assigned_to_me=query["assignee"] == "me", group=query["group"])
    return task_summaries_schema.dump(rows)


@bp.get("/tasks/<task_id>")
def show_task(task_id):
    return task_schema.dump(tasks.get_task(get_session(), task_id, actor=current_actor()))


@bp.post("/tasks/<task_id>/claim")
def claim_task(task_id):
    return task_schema.dump(tasks.claim_task(get_session(), task_id, actor=current_actor()))


@bp.post("/tasks/<task_id>/unclaim")
def unclaim_task(task_id):
    return task_schema.dump(tasks.unclaim_task(get_session(), task_id, actor=current_actor()))


@bp.post("/tasks/<task_id>/complete")
def complete_task(task_id):
    body = complete_task_schema.load(json_body())
    row = tasks.complete_task(get_session(), task_id, body["data"], actor=current_actor())
    return task_schema.dump(row)


@bp.post("/messages")
def send_message():
    body = send_message_schema.load(json_body())
    delivery = events.deliver_message(get_session(), body["name"], data=body["data"], actor=current_actor(),
                                      correlation_key=body["correlation_key"],
                                      instance_id=body["process_instance_id"])
    return message_delivery_schema.dump(delivery), 201 if delivery.started else 200


@bp.post("/signals")
def send_signal():
    body = send_signal_schema.load(json_body())
    count = events.broadcast_signal(get_session(), body["name"], data=body["data"], actor=current_actor())
    return signal_result_schema.dump({"count": count})

"""The API's shapes: what a request may carry and what a response shows."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from engine import events

from .fields import Id, Int64


class StartInstanceSchema(Schema):
    process_key = fields.String(required=True, validate=validate.Length(min=1, max=255))
    data = fields.Dict(keys=fields.String(), load_default=dict)
    business_key = fields.String(load_default=None, allow_none=True,
                                 validate=validate.Length(max=255))


class SendMessageSchema(Schema):
    """Camunda's message correlation: a name, which waiting instance (key or id), and data to merge."""
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    correlation_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))
    process_instance_id = Int64(load_default=None, allow_none=True, validate=validate.Range(min=1))
    data = fields.Dict(keys=fields.String(), load_default=dict)


class MessageDeliverySchema(Schema):
    process_instance_id = fields.Integer(attribute="instance_id")
    element_id = fields.String(metadata={"description": "the element that caught the message"})
    started = fields.Boolean(metadata={"description": "true: a message start event started the instance"})
    status = fields.String()


class SendSignalSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    data = fields.Dict(keys=fields.String(), load_default=dict)


class SignalResultSchema(Schema):
    count = fields.Integer(metadata={"description": "instances reached, started ones included"})


class CompleteTaskSchema(Schema):
    data = fields.Dict(keys=fields.String(), load_default=dict)


class SetVariablesSchema(Schema):
    data = fields.Dict(keys=fields.String(), load_default=dict, metadata={
        "description": "the variables to merge into the instance's current work; names the "
                       "process protects are refused (422) unless `repair` is true"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500), metadata={
        "description": "why the variables are set; recorded in the audit entry with each before and after"})
    repair = fields.Boolean(load_default=False, metadata={
        "description": "an admin's repair (needs instances.repair): any name, protected ones included"})
    unset = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list,
                        validate=validate.Length(max=100),
                        metadata={"description": "names to delete; only with repair: true"})


class TaskQuerySchema(Schema):
    instance_id = Id(load_default=None)
    assignee = fields.String(load_default=None)
    group = fields.String(load_default=None)

    class Meta:
        unknown = EXCLUDE


class ProblemSchema(Schema):
    message = fields.String()
    file = fields.String()
    line = Int64()
    element_id = fields.String()
    field = fields.String()


class ErrorSchema(Schema):
    errors = fields.List(fields.Nested(ProblemSchema))


class DefinitionSchema(Schema):
    id = Id()
    key = fields.String()
    version = Int64()
    name = fields.String()
    file_name = fields.String()
    executable = fields.Boolean(attribute="is_executable")
    problems = fields.List(fields.Dict())
    stages = fields.List(fields.String())
    deployed_at = fields.DateTime()


class DeploymentSchema(DefinitionSchema):
    created = fields.Boolean(metadata={"description": "false when the same content was deployed before"})


class TaskSchema(Schema):
    id = fields.String()
    name = fields.String(attribute="element_id", metadata={"description": "the BPMN element id"})
    title = fields.String()
    instance_id = Id()
    process_key = fields.Function(lambda t: t.instance.process_key)
    business_key = fields.Function(lambda t: t.instance.business_key)
    stage = fields.String(allow_none=True)
    group = fields.Function(lambda t: t.group_names[0] if t.group_names else None)
    groups = fields.Function(lambda t: t.group_names)
    assignee = fields.Function(lambda t: t.assignee.name if t.assignee else None)
    due_at = fields.DateTime(allow_none=True)
    priority = Int64()
    status = fields.String()
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    form = fields.Dict(metadata={"description": "JSON Schema of the form, with `required`"})


class TaskSummarySchema(TaskSchema):
    """A task without its form: for lists."""

    class Meta:
        exclude = ("form",)


class HistoryEntrySchema(Schema):
    id = Id()
    at = fields.DateTime()
    action = fields.String()
    actor = fields.Function(lambda e: e.actor.name if e.actor else None)
    task_id = fields.String(allow_none=True)
    element_id = fields.String(allow_none=True)
    detail = fields.Dict()


class TimerSchema(Schema):
    element_id = fields.String()
    due_at = fields.DateTime()
    status = fields.String(metadata={"description": "waiting, or failed after its retries"})
    attempts = Int64()
    last_error = fields.String(allow_none=True)


class SubscriptionSchema(Schema):
    kind = fields.String(metadata={"description": "message or signal"})
    name = fields.String()
    correlation_key = fields.String(allow_none=True)
    element_id = fields.String()
    created_at = fields.DateTime()


_subscriptions_schema = SubscriptionSchema(many=True)


class InstanceSchema(Schema):
    id = Id()
    process_key = fields.String()
    version = fields.Function(lambda i: i.definition.version)
    business_key = fields.String(allow_none=True)
    status = fields.String()
    stage = fields.String(allow_none=True)
    stages = fields.Function(lambda i: i.definition.stages)
    data = fields.Dict()
    error = fields.Function(lambda i: {"message": i.error_message, "element_id": i.error_element_id}
                            if i.status == "error" else None)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)


class InstanceDetailSchema(InstanceSchema):
    tasks = fields.List(fields.Nested(TaskSummarySchema))
    history = fields.List(fields.Nested(HistoryEntrySchema))
    timers = fields.List(fields.Nested(TimerSchema))
    waiting_for = fields.Method("_waiting_for", metadata={
        "description": "the messages and signals it waits for (kind, name, correlation_key, element_id)"})

    def _waiting_for(self, instance):
        return _subscriptions_schema.dump(events.waiting_for(instance))

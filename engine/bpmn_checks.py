"""What keeps a schema-valid BPMN process from running here, each reason located.

An upload that is well-formed but cannot run yet is still stored (as a draft with
`is_executable=False`), so these checks report rather than refuse: engine.bpmn runs
them on every uploaded process and lists what they find next to SpiffWorkflow's
own build errors. They cover what the XSD cannot see: gateway conditions, task
kinds and event references we do not support, and stages outside the declared list.
"""

from lxml import etree

from engine.bpmn_model import DECISION_REF, Doc, Problem, bpmn_tags, problem_at
from engine.bpmn_stages import own_property, process_stages, stage_owners
from engine.bpmn_variables import PROTECTED, PROTECTED_AFTER_START, declared_names
from engine.expressions import ExpressionError, translate_condition
from engine.forms import NS, user_task_info

_GATEWAYS = set(bpmn_tags("exclusiveGateway", "inclusiveGateway"))
# SpiffWorkflow lets only these have several outgoing flows.
_SPLITTERS = _GATEWAYS | set(bpmn_tags("parallelGateway", "eventBasedGateway", "complexGateway",
                                         "startEvent"))


def check_process(doc: Doc, proc) -> list[Problem]:
    """Return what keeps a schema-valid process from running, each located, in file order."""
    issues = []
    if proc.get("isExecutable") == "false":
        issues.append((proc, 'the process is marked not executable (isExecutable="false")'))
    for check in (_check_flows, _check_activities, _check_events, _check_stages, _check_protection):
        issues += check(proc)
    issues += [(element, message) for element, message in doc.issues
               if next(element.iterancestors(*bpmn_tags("process")), None) is proc]
    unique = dict.fromkeys((element, message) for element, message in issues)
    problems = [problem_at(doc.name, element, message) for element, message in unique]
    return sorted(problems, key=lambda p: p.line or 0)


def _check_flows(proc) -> list:
    by_id = {e.get("id"): e for e in proc.iter(etree.Element) if e.get("id")}
    flows = list(proc.iter(*bpmn_tags("sequenceFlow")))
    exits = {}
    for flow in flows:
        exits[flow.get("sourceRef")] = exits.get(flow.get("sourceRef"), 0) + 1
    issues = []
    for flow in flows:
        condition = flow.find("bpmn:conditionExpression", NS)
        source = by_id.get(flow.get("sourceRef"))
        from_gateway = source is not None and source.tag in _GATEWAYS
        if condition is not None and (condition.text or "").strip():
            language = (condition.get("language") or "").lower()
            if language not in ("", "python", "juel"):
                issues.append((condition, f"condition language {language!r} is not supported; "
                                          "write ${...} or a Python expression"))
            if not from_gateway:
                issues.append((flow, "only flows leaving an exclusive or inclusive gateway "
                                     "may have a condition"))
        elif from_gateway and exits[source.get("id")] > 1 and source.get("default") != flow.get("id"):
            issues.append((flow, "this flow leaves a gateway with several ways out but has "
                                 "no condition and is not the default flow"))
    for source_id, count in exits.items():
        source = by_id.get(source_id)
        if count > 1 and source is not None and source.tag not in _SPLITTERS:
            issues.append((source, "several flows leave this element; split with a gateway"))
    return issues


def _check_activities(proc) -> list:
    issues = []
    for task in proc.iter(*bpmn_tags("scriptTask")):
        script_format = (task.get("scriptFormat") or "python").lower()
        if script_format not in ("python", "python3", "py"):
            issues.append((task, f"script format {script_format!r} is not supported; scripts run as Python"))
        if not (task.findtext("bpmn:script", "", NS)).strip():
            issues.append((task, "the script task has no script"))
    for task in proc.iter(*bpmn_tags("serviceTask")):
        issues.append((task, "service tasks cannot run here (no connectors or Java delegates); "
                             "use a script task"))
    for task in proc.iter(*bpmn_tags("sendTask", "receiveTask")):
        if not task.get("messageRef") and task.find("bpmn:messageEventDefinition", NS) is None:
            issues.append((task, "the task has no message"))
    for task in proc.iter(*bpmn_tags("businessRuleTask")):
        if not task.get(DECISION_REF) or "{" in task.get(DECISION_REF):
            issues.append((task, "set camunda:decisionRef to the id of a DMN decision"))
    for call in proc.iter(*bpmn_tags("callActivity")):
        if not call.get("calledElement") or "{" in call.get("calledElement"):
            issues.append((call, "set 'Called element' to the id of a process"))
    for task in proc.iter(*bpmn_tags("userTask")):
        issues += user_task_info(task, None)[1]
    stores = {ref.get("id") for ref in proc.iter(*bpmn_tags("dataStoreReference"))}
    for ref in proc.iterfind(".//bpmn:dataInputAssociation/bpmn:sourceRef", NS):
        if ref.text in stores:
            issues.append((ref.getparent().getparent(), "data stores are not supported; use data objects"))
    for ref in proc.iterfind(".//bpmn:dataOutputAssociation/bpmn:targetRef", NS):
        if ref.text in stores:
            issues.append((ref.getparent().getparent(), "data stores are not supported; use data objects"))
    return issues


_EVENT_REFS = (("messageEventDefinition", "messageRef", "message"),
               ("signalEventDefinition", "signalRef", "signal"),
               ("errorEventDefinition", "errorRef", "error"),
               ("escalationEventDefinition", "escalationRef", "escalation"))


def _check_events(proc) -> list:
    root = proc.getroottree().getroot()
    defined = {kind: {e.get("id"): e.get("name") for e in root.iterfind(f"bpmn:{kind}", NS)}
               for _, _, kind in _EVENT_REFS}
    issues = []
    for tag, attribute, kind in _EVENT_REFS:
        for definition in proc.iter(*bpmn_tags(tag)):
            ref, event = definition.get(attribute), definition.getparent()
            if ref and ref not in defined[kind]:
                issues.append((event, f"refers to {kind} {ref!r}, which is not defined"))
            elif ref and kind in ("message", "signal") and not defined[kind][ref]:
                # SpiffWorkflow matches messages and signals by name.
                issues.append((event, f"{kind} {ref!r} needs a name"))
            elif not ref and kind in ("message", "signal"):
                issues.append((event, f"the event has no {kind}; choose or create one"))
    for task in proc.iter(*bpmn_tags("sendTask", "receiveTask")):
        if task.get("messageRef") and task.get("messageRef") not in defined["message"]:
            issues.append((task, f"refers to message {task.get('messageRef')!r}, which is not defined"))
    issues += _check_messages(proc)
    for definition in proc.iter(*bpmn_tags("timerEventDefinition")):
        values = definition.iterchildren(*bpmn_tags("timeDate", "timeDuration", "timeCycle"))
        if not any((value.text or "").strip() for value in values):
            issues.append((definition.getparent(), "the timer has no value; set a date, duration or cycle"))
    for definition in proc.iter(*bpmn_tags("linkEventDefinition", "compensateEventDefinition")):
        kind = etree.QName(definition).localname.replace("EventDefinition", "")
        issues.append((definition.getparent(), f"{kind} events are not supported"))
    for definition in proc.iter(*bpmn_tags("conditionalEventDefinition")):
        if not definition.findtext("bpmn:condition", "", NS).strip():
            issues.append((definition.getparent(), "the conditional event has no condition"))
    return issues


def correlation_key_of(element) -> str | None:
    """Return the correlation key expression of a message catch: its own property, else its process's."""
    key = own_property(element, "correlation_key")
    if key is None:
        process = next(element.iterancestors(*bpmn_tags("process")), None)
        key = own_property(process, "correlation_key") if process is not None else None
    return key


def _check_messages(proc) -> list:
    # Messages come in through POST /api/messages; the engine routes none between instances.
    issues = []
    for task in proc.iter(*bpmn_tags("sendTask")):
        issues.append((task, "send tasks cannot run here (messages are not routed between instances); "
                             "use a script task, and send messages with POST /api/messages"))
    for definition in proc.iter(*bpmn_tags("messageEventDefinition")):
        event = definition.getparent()
        if event.tag in set(bpmn_tags("intermediateThrowEvent", "endEvent")):
            issues.append((event, "message throw events cannot run here (messages are not routed "
                                  "between instances); send messages with POST /api/messages"))
    catches = [d.getparent() for d in proc.iter(*bpmn_tags("messageEventDefinition"))]
    for element in [*catches, *proc.iter(*bpmn_tags("receiveTask"))]:
        key = own_property(element, "correlation_key")
        if key:
            try:
                translate_condition(key)
            except ExpressionError as exc:
                issues.append((element, f"correlation_key: {exc}"))
    return issues


def _check_stages(proc) -> list:
    if not own_property(proc, "stages"):
        return []
    allowed = set(process_stages(proc))
    return [(owner, f"stage {own_property(owner, 'stage')!r} is not in the process's stages list")
            for owner in stage_owners(proc) if own_property(owner, "stage") not in allowed]


def _check_protection(proc) -> list:
    issues = []
    for prop in (PROTECTED, PROTECTED_AFTER_START):
        issues += [(proc, message) for message in declared_names(proc, prop)[1]]
    return issues

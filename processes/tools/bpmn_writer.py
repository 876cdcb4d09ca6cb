"""Write Camunda-Modeler-style BPMN with diagram interchange, from a few Python calls.

The bundled processes are generated so that their many similar parts (a stage
box with its reminder and escalation, a lost exit per stage) stay consistent;
what is committed is the .bpmn output, which opens in Camunda Modeler and bpmn.io.

Coordinates are those of the diagram: an element is placed by its top-left
corner; a flow is drawn between the sides of its ends, with elbows where their
centres differ, unless the caller gives the corner points itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

SIZES = {"task": (120, 80), "event": (36, 36), "gateway": (50, 50)}
NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"')


@dataclass
class Field:
    """A Camunda form field; `values` are (id, name) pairs of an enum."""
    id: str
    label: str
    type: str = "string"
    required: bool = False
    min: int | None = None
    max: int | None = None
    minlength: int | None = None
    values: list[tuple[str, str]] = field(default_factory=list)
    default: str | None = None

    def xml(self) -> str:
        """Return the camunda:formField element."""
        default = f" defaultValue={quoteattr(self.default)}" if self.default is not None else ""
        inner = "".join(f"<camunda:value id={quoteattr(v)} name={quoteattr(n)}/>" for v, n in self.values)
        constraints = [("required", None)] if self.required else []
        constraints += [(name, value) for name, value in
                        (("min", self.min), ("max", self.max), ("minlength", self.minlength))
                        if value is not None]
        if constraints:
            inner += "<camunda:validation>" + "".join(
                f'<camunda:constraint name="{name}"' + (f' config="{value}"' if value is not None else "")
                + "/>" for name, value in constraints) + "</camunda:validation>"
        return (f"<camunda:formField id={quoteattr(self.id)} label={quoteattr(self.label)} "
                f"type={quoteattr(self.type)}{default}>{inner}</camunda:formField>")


@dataclass
class Node:
    id: str
    tag: str
    kind: str  # task, event, gateway or subprocess: decides the shape
    x: float
    y: float
    width: float
    height: float
    attrs: dict = field(default_factory=dict)
    properties: list[tuple[str, str]] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)
    body: str = ""  # event definitions, script
    documentation: str | None = None
    parent: str | None = None
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2


@dataclass
class Flow:
    id: str
    source: str
    target: str
    condition: str | None
    name: str | None
    points: list[tuple[float, float]]


class Process:
    """One bpmn:process with its diagram; add nodes and flows, then `write()` the file."""

    def __init__(self, key: str, name: str, properties: list[tuple[str, str]], documentation: str):
        self.key, self.name, self.properties, self.documentation = key, name, properties, documentation
        self.nodes: dict[str, Node] = {}
        self.flows: list[Flow] = []
        self.defaults: dict[str, str] = {}

    # --- nodes ---------------------------------------------------------------------------

    def _add(self, node: Node) -> Node:
        assert node.id not in self.nodes, node.id
        self.nodes[node.id] = node
        return node

    def start(self, id, name, x, y, parent=None) -> Node:
        """Add a none start event."""
        return self._add(Node(id, "startEvent", "event", x, y, *SIZES["event"], {"name": name},
                              parent=parent))

    def end(self, id, name, x, y, parent=None, terminate=False) -> Node:
        """Add an end event; a terminate end ends only its own (sub)process."""
        body = f'<bpmn:terminateEventDefinition id="{id}_terminate"/>' if terminate else ""
        return self._add(Node(id, "endEvent", "event", x, y, *SIZES["event"], {"name": name},
                              body=body, parent=parent))

    def user_task(self, id, name, x, y, *, groups, fields=(), gates=(), stage=None, assignee=None,
                  due=None, doc=None, parent=None) -> Node:
        """Add a user task with its form, candidate groups and `gate: ...` properties."""
        attrs = {"name": name, "camunda:candidateGroups": groups}
        if assignee:
            attrs["camunda:assignee"] = assignee
        if due:
            attrs["camunda:dueDate"] = due
        properties = ([("stage", stage)] if stage else []) + [(f"gate: {c}", v) for c, v in gates]
        return self._add(Node(id, "userTask", "task", x, y, *SIZES["task"], attrs, properties,
                              list(fields), documentation=doc, parent=parent))

    def script(self, id, name, x, y, source, parent=None, doc=None) -> Node:
        """Add a Python script task."""
        body = f"<bpmn:script>{escape(source.strip())}</bpmn:script>"
        return self._add(Node(id, "scriptTask", "task", x, y, *SIZES["task"],
                              {"name": name, "scriptFormat": "python"}, body=body,
                              documentation=doc, parent=parent))

    def gateway(self, id, name, x, y, kind="exclusive", parent=None) -> Node:
        """Add an exclusive or parallel gateway."""
        return self._add(Node(id, f"{kind}Gateway", "gateway", x, y, *SIZES["gateway"],
                              {"name": name} if name else {}, parent=parent))

    def subprocess(self, id, name, x, y, width, height, stage, doc=None) -> Node:
        """Add an expanded embedded subprocess carrying a stage."""
        return self._add(Node(id, "subProcess", "subprocess", x, y, width, height, {"name": name},
                              [("stage", stage)], documentation=doc))

    def timer_catch(self, id, name, x, y, expression, parent=None) -> Node:
        """Add an intermediate timer event waiting for a duration."""
        return self._add(Node(id, "intermediateCatchEvent", "event", x, y, *SIZES["event"],
                              {"name": name}, body=_timer(id, "timeDuration", expression), parent=parent))

    def boundary_timer(self, id, name, host: Node, expression, *, interrupting, timer="timeDuration",
                       at=0.5) -> Node:
        """Add a timer on the bottom edge of `host`, `at` a fraction of its width."""
        width, height = SIZES["event"]
        x, y = host.x + host.width * at - width / 2, host.y + host.height - height / 2
        attrs = {"name": name, "attachedToRef": host.id}
        if not interrupting:
            attrs["cancelActivity"] = "false"
        return self._add(Node(id, "boundaryEvent", "event", x, y, width, height, attrs,
                              body=_timer(id, timer, expression), parent=host.parent))

    # --- flows ---------------------------------------------------------------------------

    def flow(self, id, source: Node, target: Node, *, condition=None, name=None, default=False,
             via=(), out="right", into="left", start_at=None, end_at=None) -> Flow:
        """Connect two nodes; `via` are corner points, `out`/`into` the sides used.

        `start_at` and `end_at` are points on the source's and target's borders, when
        not the middle of the `out` and `into` sides.
        """
        start, end = start_at or _side(source, out), end_at or _side(target, into)
        points = [start, *via, end] if via else _elbow(start, end, out, into)
        flow = Flow(id, source.id, target.id, condition, name, points)
        self.flows.append(flow)
        source.outgoing.append(id)
        target.incoming.append(id)
        if default:
            self.defaults[source.id] = id
        return flow

    # --- output --------------------------------------------------------------------------

    def write(self, path) -> None:
        """Write the definitions, the process and its diagram to `path`."""
        lines = ['<?xml version="1.0" encoding="UTF-8"?>',
                 f'<bpmn:definitions {NAMESPACES} id="defs_{self.key}" '
                 'targetNamespace="http://dealflow.example/bpmn" exporter="Camunda Modeler" '
                 'exporterVersion="5.30.0">',
                 f'  <bpmn:process id="{self.key}" name={quoteattr(self.name)} isExecutable="true">',
                 f"    <bpmn:documentation>{escape(self.documentation)}</bpmn:documentation>",
                 "    " + _extensions(self.properties, [])]
        lines += self._children(None, "    ")
        lines += ["  </bpmn:process>", *self._diagram(), "</bpmn:definitions>", ""]
        path.write_text("\n".join(lines), encoding="utf-8")

    def _children(self, parent: str | None, indent: str) -> list[str]:
        lines = []
        for node in self.nodes.values():
            if node.parent == parent:
                lines += self._node_xml(node, indent)
        for flow in self.flows:
            if self.nodes[flow.source].parent == parent:
                lines.append(indent + _flow_xml(flow))
        return lines

    def _node_xml(self, node: Node, indent: str) -> list[str]:
        attrs = {k: v for k, v in node.attrs.items() if v is not None}
        if node.id in self.defaults:
            attrs["default"] = self.defaults[node.id]
        attributes = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
        inner = f"<bpmn:documentation>{escape(node.documentation)}</bpmn:documentation>" \
            if node.documentation else ""
        inner += _extensions(node.properties, node.fields)
        inner += "".join(f"<bpmn:incoming>{f}</bpmn:incoming>" for f in node.incoming)
        inner += "".join(f"<bpmn:outgoing>{f}</bpmn:outgoing>" for f in node.outgoing)
        if node.kind != "subprocess":
            return [f"{indent}<bpmn:{node.tag} id={quoteattr(node.id)}{attributes}>{inner}{node.body}"
                    f"</bpmn:{node.tag}>"]
        return [f"{indent}<bpmn:{node.tag} id={quoteattr(node.id)}{attributes}>{inner}",
                *self._children(node.id, indent + "  "), f"{indent}</bpmn:{node.tag}>"]

    def _diagram(self) -> list[str]:
        lines = [f'  <bpmndi:BPMNDiagram id="diagram_{self.key}">',
                 f'    <bpmndi:BPMNPlane id="plane_{self.key}" bpmnElement="{self.key}">']
        for node in self.nodes.values():
            expanded = ' isExpanded="true"' if node.kind == "subprocess" else ""
            marker = ' isMarkerVisible="true"' if node.tag == "exclusiveGateway" else ""
            lines.append(f'      <bpmndi:BPMNShape id="{node.id}_di" bpmnElement="{node.id}"{expanded}'
                         f'{marker}><dc:Bounds x="{node.x:g}" y="{node.y:g}" width="{node.width:g}" '
                         f'height="{node.height:g}"/></bpmndi:BPMNShape>')
        for flow in self.flows:
            points = "".join(f'<di:waypoint x="{x:g}" y="{y:g}"/>' for x, y in flow.points)
            lines.append(f'      <bpmndi:BPMNEdge id="{flow.id}_di" bpmnElement="{flow.id}">{points}'
                         "</bpmndi:BPMNEdge>")
        return lines + ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>"]


def _timer(id: str, kind: str, expression: str) -> str:
    return (f'<bpmn:timerEventDefinition id="{id}_timer"><bpmn:{kind} xsi:type="bpmn:tFormalExpression">'
            f"{escape(expression)}</bpmn:{kind}></bpmn:timerEventDefinition>")


def _extensions(properties, fields) -> str:
    if not properties and not fields:
        return ""
    inner = ""
    if properties:
        inner += "<camunda:properties>" + "".join(
            f"<camunda:property name={quoteattr(n)} value={quoteattr(v)}/>" for n, v in properties
        ) + "</camunda:properties>"
    if fields:
        inner += "<camunda:formData>" + "".join(f.xml() for f in fields) + "</camunda:formData>"
    return f"<bpmn:extensionElements>{inner}</bpmn:extensionElements>"


def _flow_xml(flow: Flow) -> str:
    name = f" name={quoteattr(flow.name)}" if flow.name else ""
    head = f'<bpmn:sequenceFlow id="{flow.id}"{name} sourceRef="{flow.source}" targetRef="{flow.target}"'
    if flow.condition is None:
        return head + "/>"
    return (f'{head}><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
            f"{escape(flow.condition)}</bpmn:conditionExpression></bpmn:sequenceFlow>")


def _side(node: Node, side: str) -> tuple[float, float]:
    cx, cy = node.centre
    return {"right": (node.x + node.width, cy), "left": (node.x, cy), "top": (cx, node.y),
            "bottom": (cx, node.y + node.height)}[side]


def _elbow(start, end, out: str, into: str) -> list[tuple[float, float]]:
    """Return a straight path, or one with the fewest right-angle corners between the sides."""
    if start[0] == end[0] or start[1] == end[1]:
        return [start, end]
    leaves_sideways, arrives_sideways = out in ("right", "left"), into in ("right", "left")
    if leaves_sideways and arrives_sideways:
        middle = (start[0] + end[0]) / 2
        return [start, (middle, start[1]), (middle, end[1]), end]
    if not leaves_sideways and not arrives_sideways:
        middle = (start[1] + end[1]) / 2
        return [start, (start[0], middle), (end[0], middle), end]
    corner = (end[0], start[1]) if leaves_sideways else (start[0], end[1])
    return [start, corner, end]

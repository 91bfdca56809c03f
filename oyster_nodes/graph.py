"""Turn a parsed Workflow into a checked, runnable graph — or report every problem at once.

Checks: duplicate ids, unknown node types and params, missing or out-of-range values, structured
values the node's own parsers refuse (Node.check_params), dangling links, type mismatches, two links
into one input, missing required inputs, cycles, bypassed nodes whose used outputs have no
pass-through. Subgraphs are flattened first (oyster_nodes.subgraphs): inner nodes are named by their path.
"""

from __future__ import annotations

import difflib
import heapq
from dataclasses import dataclass, field
from typing import Any

from .node import Node
from .registry import Registry
from .subgraphs import flatten
from .types import link_problem, wire_name
from .workflow import Link, Problem, Workflow, WorkflowError


@dataclass(slots=True)
class GraphNode:
    id: str
    cls: type[Node]
    params: dict[str, Any]
    #: input name -> (upstream node id, upstream output name)
    inputs: dict[str, tuple[str, str]] = field(default_factory=dict)
    device: str | None = None
    #: passes inputs through (its type's `bypass`) instead of running
    bypass: bool = False


@dataclass(slots=True)
class Graph:
    """A validated workflow: typed nodes, their wiring, and a topological order."""

    workflow: Workflow
    nodes: dict[str, GraphNode]
    #: node id -> the ids of the nodes that read its outputs, each once
    consumers: dict[str, list[str]]
    order: list[str]

    def sinks(self) -> list[str]:
        """Nodes whose outputs nothing consumes: what a run produces by default."""
        return [n for n in self.order if not self.consumers[n]]


def validate(workflow: Workflow, registry: Registry) -> list[Problem]:
    """Every problem with the workflow; an empty list means it can run."""
    return _check(workflow, registry)[1]


def build(workflow: Workflow, registry: Registry) -> Graph:
    """The runnable graph, or WorkflowError listing every problem."""
    graph, problems = _check(workflow, registry)
    if problems or graph is None:
        raise WorkflowError(problems)
    return graph


def _check(workflow: Workflow, registry: Registry) -> tuple[Graph | None, list[Problem]]:
    flat_nodes, flat_links, problems = flatten(workflow)
    nodes: dict[str, GraphNode] = {}
    for ref in flat_nodes:
        if ref.id in nodes:
            problems.append(Problem("duplicate_id", f"id '{ref.id}' is used by more than one node", node=ref.id,
                                    fix="give each node its own id"))
            continue
        cls = registry.get(ref.type)
        if cls is None:
            problems.append(_unknown_type(ref.id, ref.type, registry))
            continue
        params, param_problems = _check_params(ref.id, cls, ref.params)
        problems += param_problems
        nodes[ref.id] = GraphNode(ref.id, cls, params, device=ref.device, bypass=ref.mode == "bypass")
    known = {ref.id for ref in flat_nodes}
    linked: set[tuple[str, str]] = set()
    problems += _check_links(flat_links, nodes, known, linked)
    problems += _check_required_inputs(nodes, linked)
    problems += _check_bypass(nodes, flat_links)
    problems += _check_groups(workflow, {ref.id for ref in workflow.nodes})
    consumers = _consumers(nodes)
    order = topological_order(consumers)
    if len(order) < len(nodes):
        problems.append(_cycle_problem(consumers, set(order)))
    if problems:
        return None, problems
    return Graph(workflow, nodes, consumers, order), []


def _consumers(nodes: dict[str, GraphNode]) -> dict[str, list[str]]:
    consumers: dict[str, list[str]] = {n: [] for n in nodes}
    for dst, gn in nodes.items():
        for src in dict.fromkeys(src for src, _ in gn.inputs.values()):
            consumers[src].append(dst)
    return consumers


def topological_order(consumers: dict[str, list[str]]) -> list[str]:
    """Kahn's order with ties broken by node id, so the order nodes run in never depends on how the JSON lists
    them; nodes on or behind a cycle are left out."""
    waiting = dict.fromkeys(consumers, 0)
    for targets in consumers.values():
        for t in targets:
            waiting[t] += 1
    ready = [n for n, k in waiting.items() if k == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        n = heapq.heappop(ready)
        order.append(n)
        for t in consumers[n]:
            waiting[t] -= 1
            if waiting[t] == 0:
                heapq.heappush(ready, t)
    return order


def _cycle_problem(consumers: dict[str, list[str]], ordered: set[str]) -> Problem:
    """One cycle among the nodes the order left out. Each of them waits on another left-out node, so walking
    back from one to a node it waits on must come round to a node already seen: that loop is a cycle."""
    waits_on: dict[str, list[str]] = {n: [] for n in consumers if n not in ordered}
    for n in waits_on:
        for t in consumers[n]:
            if t in waits_on:
                waits_on[t].append(n)
    path = [min(waits_on)]
    seen = {path[0]: 0}
    while (back := min(waits_on[path[-1]])) not in seen:
        seen[back] = len(path)
        path.append(back)
    cycle = path[seen[back]:][::-1]
    first = cycle.index(min(cycle))
    cycle = cycle[first:] + cycle[:first]
    text = " -> ".join([*cycle, cycle[0]])
    return Problem("cycle", f"links form a cycle: {text}", node=cycle[0], field="inputs",
                   fix="remove one link of the cycle")


def _unknown_type(node_id: str, type_name: str, registry: Registry) -> Problem:
    close = difflib.get_close_matches(type_name, [c.type for c in registry], n=1)
    fix = f"did you mean '{close[0]}'?" if close else "install the node pack that provides it, or remove the node"
    return Problem("unknown_type", f"unknown node type '{type_name}'", node=node_id, field="type", fix=fix)


def _check_params(node_id: str, cls: type[Node], raw: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    problems = []
    declared = {p.name: p for p in cls.params}
    for name in raw:
        if name not in declared:
            close = difflib.get_close_matches(name, list(declared), n=1)
            fix = f"did you mean '{close[0]}'?" if close else f"remove it; {cls.type} takes {_names(declared)}"
            problems.append(Problem("unknown_param", f"{cls.type} has no parameter '{name}'", node=node_id,
                                    field=f"params.{name}", fix=fix))
    values: dict[str, Any] = {}
    for name, param in declared.items():
        value, problem = param.check(raw.get(name, param.default))
        if problem:
            kind = "missing_param" if problem == "is required" else "bad_param"
            fix = f"set it (default {param.default!r})" if kind == "missing_param" else _param_fix(param, value)
            problems.append(Problem(kind, f"parameter '{name}' {problem}", node=node_id,
                                    field=f"params.{name}", fix=fix))
        values[name] = value
    if not problems and cls.check_params.__func__ is not Node.check_params.__func__:
        problems = _structured_problems(node_id, cls, values)
    return values, problems


def _structured_problems(node_id: str, cls: type[Node], values: dict[str, Any]) -> list[Problem]:
    """What the node's parsers say about its structured parameters (only once every value has its type)."""
    try:
        found = cls.check_params(dict(values))
    except Exception as exc:  # a pack's checker must not break validation of the whole workflow
        return [Problem("bad_param", f"{cls.type} could not check its parameters: {exc}", node=node_id,
                        field="params", fix="report this to the node pack's authors")]
    return [Problem("bad_param", f"parameter '{p.param}': {p.message}", node=node_id, field=f"params.{p.param}",
                    fix=p.fix) for p in found]


def _param_fix(param: Any, value: Any = None) -> str:
    if isinstance(value, str) and len(value) > param.max_length:
        return f"shorten it to at most {param.max_length} characters"
    if param.choices is not None:
        return "pick one of the listed values"
    if param.min is not None or param.max is not None:
        lo = "-inf" if param.min is None else f"{param.min:g}"
        hi = "inf" if param.max is None else f"{param.max:g}"
        return f"use a value from {lo} to {hi}"
    return f"use a value of type {param.type.__name__}"


def _names(declared: dict[str, Any]) -> str:
    return ", ".join(declared) or "no parameters"


def _check_links(links: list[Link], nodes: dict[str, GraphNode], known: set[str],
                 linked: set[tuple[str, str]]) -> list[Problem]:
    """Wire up valid links; `linked` collects every input that has a link, valid or not."""
    problems = []
    for link in links:
        linked.add((link.to_node, link.to_input))
        dst, src = nodes.get(link.to_node), nodes.get(link.from_node)
        field_name = f"inputs.{link.to_input}"
        if link.to_node not in known:
            problems.append(Problem("dangling_link", f"a link points to missing node '{link.to_node}'",
                                    node=link.from_node, field=f"outputs.{link.from_output}",
                                    fix="delete the link or add the node"))
            continue
        if link.from_node not in known:
            problems.append(Problem("dangling_link", f"input is linked from missing node '{link.from_node}'",
                                    node=link.to_node, field=field_name, fix="delete the link or add the node"))
            continue
        if dst is None or src is None:
            continue  # the node itself is already reported (unknown type or duplicate id)
        in_port = next((p for p in dst.cls.inputs if p.name == link.to_input), None)
        out_port = next((p for p in src.cls.outputs if p.name == link.from_output), None)
        if in_port is None:
            problems.append(Problem("dangling_link", f"{dst.cls.type} has no input '{link.to_input}'",
                                    node=link.to_node, field=field_name,
                                    fix=f"connect one of: {', '.join(p.name for p in dst.cls.inputs) or 'none'}"))
            continue
        if out_port is None:
            problems.append(Problem("dangling_link", f"'{link.from_node}' ({src.cls.type}) has no output "
                                    f"'{link.from_output}'", node=link.to_node, field=field_name,
                                    fix=f"use one of: {', '.join(p.name for p in src.cls.outputs) or 'none'}"))
            continue
        reason = link_problem(out_port.type, in_port.type)
        if reason:
            problems.append(Problem("type_mismatch", f"input '{link.to_input}' {reason} from "
                                    f"'{link.from_node}.{link.from_output}'", node=link.to_node, field=field_name,
                                    fix=f"connect a node that outputs {wire_name(in_port.type)}"))
            continue
        if link.to_input in dst.inputs:
            problems.append(Problem("duplicate_link", f"input '{link.to_input}' has more than one link",
                                    node=link.to_node, field=field_name, fix="keep one link per input"))
            continue
        dst.inputs[link.to_input] = (link.from_node, link.from_output)
    return problems


def _check_required_inputs(nodes: dict[str, GraphNode], linked: set[tuple[str, str]]) -> list[Problem]:
    return [
        Problem("missing_input", f"input '{p.name}' ({wire_name(p.type)}) is not connected", node=gn.id,
                field=f"inputs.{p.name}", fix=f"connect a node that outputs {wire_name(p.type)}")
        for gn in nodes.values() for p in gn.cls.inputs
        if not p.optional and (gn.id, p.name) not in linked
    ]


def _check_bypass(nodes: dict[str, GraphNode], links: list[Link]) -> list[Problem]:
    """A bypassed node's used outputs must each have a declared pass-through from a connected input."""
    problems = []
    used = sorted({(link.from_node, link.from_output) for link in links})
    for node_id, output in used:
        gn = nodes.get(node_id)
        if gn is None or not gn.bypass:
            continue
        source = gn.cls.bypass.get(output)
        if source is None:
            problems.append(Problem("bypass", f"is bypassed, but {gn.cls.type} has no pass-through for its output "
                                    f"'{output}', which is connected", node=node_id, field=f"outputs.{output}",
                                    fix="turn bypass off (Ctrl+B) or disconnect that output"))
        elif source not in gn.inputs:
            problems.append(Problem("bypass", f"is bypassed, so output '{output}' passes input '{source}' through, "
                                    "but that input is not connected", node=node_id, field=f"inputs.{source}",
                                    fix=f"connect '{source}' or turn bypass off (Ctrl+B)"))
    return problems


def _check_groups(workflow: Workflow, known: set[str]) -> list[Problem]:
    return [
        Problem("dangling_group", f"group '{g.id}' lists missing node '{n}'", field=f"groups.{g.id}",
                fix="remove it from the group")
        for g in workflow.groups for n in g.nodes if n not in known
    ]

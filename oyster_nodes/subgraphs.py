"""Subgraphs flattened into the plain graph they stand for, so they run exactly as the flat graph would.

An inner node's id becomes its path, `instance/inner` (nested: `outer/inner/node`), so problems and run
records name where it sits; content keys never use ids, so the flat graph and its subgraph form share cache
entries. Imports only the workflow format.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .workflow import SUBGRAPH_TYPE, Link, NodeRef, Problem, Subgraph, Workflow

#: joins a subgraph node's id and an inner node's id in a flattened id
SEP = "/"
MAX_NESTING = 16

Port = tuple[str, str]


def display_path(node_id: str) -> str:
    """'g1/n3' as people read it: 'g1 › n3'."""
    return node_id.replace(SEP, " › ")


@dataclass(slots=True)
class _Level:
    """One level of nesting: its subgraph nodes' ports resolved to flat (node, port) pairs."""

    prefix: str
    ins: dict[Port, list[Port]] = field(default_factory=dict)
    outs: dict[Port, Port] = field(default_factory=dict)
    instances: set[str] = field(default_factory=set)
    broken: set[str] = field(default_factory=set)

    def source(self, node: str, port: str) -> Port | None:
        return self.outs.get((node, port)) if node in self.instances else (self.prefix + node, port)

    def targets(self, node: str, port: str) -> list[Port] | None:
        return self.ins.get((node, port)) if node in self.instances else [(self.prefix + node, port)]


@dataclass(slots=True)
class _Flattener:
    defs: dict[str, Subgraph]
    nodes: list[NodeRef] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def level(self, nodes: list[NodeRef], links: list[Link], prefix: str, stack: tuple[str, ...]) -> _Level:
        level = _Level(prefix)
        for ref in nodes:
            if ref.type == SUBGRAPH_TYPE:
                self.instance(level, ref, stack)
            else:
                self.nodes.append(ref.model_copy(update={"id": prefix + ref.id}))
        for link in links:
            self.link(level, link)
        return level

    def instance(self, level: _Level, ref: NodeRef, stack: tuple[str, ...]) -> None:
        path = level.prefix + ref.id
        level.instances.add(ref.id)
        sg = self.defs.get(ref.subgraph or "")
        problem = None
        if sg is None:
            problem = Problem("unknown_subgraph", f"names subgraph {ref.subgraph!r}, which the workflow does not "
                              "define", node=path, field="subgraph", fix="pick a defined subgraph or delete the node")
        elif sg.id in stack or len(stack) >= MAX_NESTING:
            problem = Problem("subgraph_cycle", f"subgraph '{sg.id}' contains itself", node=path, field="subgraph",
                              fix="a subgraph cannot hold a node that stands for itself")
        elif ref.mode == "bypass":
            problem = Problem("bypass", "a subgraph node cannot be bypassed", node=path, field="mode",
                              fix="bypass the nodes inside it instead")
        if problem or sg is None:
            self.problems.append(problem)  # type: ignore[arg-type]
            level.broken.add(ref.id)
            return
        inner = self.level(sg.nodes, sg.links, path + SEP, (*stack, sg.id))
        inner_ids = {n.id for n in sg.nodes}
        for port in sg.inputs:
            level.ins[(ref.id, port.name)] = [t for r in port.to if self.known(r.node, inner_ids, sg, port.name, path)
                                              for t in inner.targets(r.node, r.port) or []]
        for out in sg.outputs:
            if self.known(out.node, inner_ids, sg, out.name, path):
                found = inner.source(out.node, out.port)
                if found is not None:
                    level.outs[(ref.id, out.name)] = found

    def known(self, node: str, inner_ids: set[str], sg: Subgraph, port: str, path: str) -> bool:
        if node in inner_ids:
            return True
        self.problems.append(Problem("dangling_port", f"subgraph '{sg.id}' port '{port}' names missing node "
                                     f"'{node}'", node=path, field=f"subgraph.{port}",
                                     fix="delete that port or add the node inside the subgraph"))
        return False

    def link(self, level: _Level, link: Link) -> None:
        if link.from_node in level.broken or link.to_node in level.broken:
            return  # the node itself is already reported
        src = level.source(link.from_node, link.from_output)
        targets = level.targets(link.to_node, link.to_input)
        if src is None or targets is None:
            node, port, side = ((link.from_node, link.from_output, "output") if src is None
                                else (link.to_node, link.to_input, "input"))
            self.problems.append(Problem("dangling_link", f"subgraph node has no {side} '{port}'",
                                         node=level.prefix + node, field=f"{side}s.{port}",
                                         fix="delete the link or add that port to the subgraph"))
            return
        for node, port in targets:
            self.links.append(Link.model_construct(from_node=src[0], from_output=src[1], to_node=node, to_input=port))


def flatten(workflow: Workflow) -> tuple[list[NodeRef], list[Link], list[Problem]]:
    """The workflow's nodes and links with every subgraph node replaced by what it stands for."""
    defs: dict[str, Subgraph] = {}
    problems = []
    for sg in workflow.subgraphs:
        if sg.id in defs:
            problems.append(Problem("duplicate_id", f"subgraph id '{sg.id}' is defined more than once",
                                    field=f"subgraphs.{sg.id}", fix="give each subgraph its own id"))
        defs.setdefault(sg.id, sg)
    if not defs and not any(n.type == SUBGRAPH_TYPE for n in workflow.nodes):
        return list(workflow.nodes), list(workflow.links), problems
    flat = _Flattener(defs)
    flat.level(workflow.nodes, workflow.links, "", ())
    return flat.nodes, flat.links, problems + flat.problems

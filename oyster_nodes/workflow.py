"""Workflow format v2: the one JSON format the editor, the CLI and the API read and write.

Workflow JSON is untrusted (people share it), so it is parsed with a schema, bounded in size and
nesting, and every problem comes back as a `Problem` naming where it is and how to fix it.
Older versions are migrated step by step; a newer version is refused with a clear message.
Version 2 added a node's `mode` ("bypass" passes its declared inputs through) and subgraphs: definitions in
`subgraphs`, used by nodes of type "subgraph" that name one (`"subgraph": "sg1"`); a v1 file is a v2 file
without either.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

FORMAT_NAME = "oyster-workflow"
FORMAT_VERSION = 2
#: the type of a node that stands for a subgraph (it names the definition in `subgraph`)
SUBGRAPH_TYPE = "subgraph"
MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 10_000
MAX_WIDGET_STATES = 64

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")]
Vec2 = tuple[float, float]
WidgetName = Annotated[str, Field(min_length=1, max_length=128)]
WidgetState = Annotated[str, Field(max_length=32)]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a workflow: where (node id, field) and how to fix it."""

    kind: str
    message: str
    node: str | None = None
    field: str | None = None
    fix: str = ""

    def __str__(self) -> str:
        # a node inside a subgraph has the id 'g1/n3' and is shown as its path 'g1 › n3'
        where = f"node '{self.node.replace('/', ' › ')}'" if self.node else "workflow"
        if self.field:
            where += f" {self.field}"
        text = f"{where}: {self.message}"
        return f"{text} ({self.fix})" if self.fix else text

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "node": self.node, "field": self.field,
                "message": self.message, "fix": self.fix}


class WorkflowError(Exception):
    """A workflow that cannot be used; `problems` lists every reason at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, str_max_length=200_000)


class EditorData(_Model):
    position: Vec2 = (0.0, 0.0)
    size: Vec2 | None = None
    title: str | None = Field(default=None, max_length=200)
    collapsed: bool = False
    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    #: editor-only state of a parameter's widget, by parameter name: {"seed": "increment"}
    widgets: dict[WidgetName, WidgetState] = Field(default_factory=dict, max_length=MAX_WIDGET_STATES)


class NodeRef(_Model):
    id: Id
    type: str = Field(min_length=1, max_length=128)
    params: dict[str, Any] = Field(default_factory=dict)
    #: run this node on a given device ("cpu", "cuda", "cuda:1"); None follows the run
    device: str | None = Field(default=None, pattern=r"^(cpu|cuda(:\d{1,2})?)$")
    #: "bypass": the node does not run; each output its type declares a pass-through for carries that input
    mode: Literal["normal", "bypass"] = "normal"
    #: for a node of type "subgraph": the id of its definition in the workflow's `subgraphs`
    subgraph: Id | None = None
    editor: EditorData = Field(default_factory=EditorData)


class Link(_Model):
    from_node: Id
    from_output: str = Field(min_length=1, max_length=128)
    to_node: Id
    to_input: str = Field(min_length=1, max_length=128)


class Group(_Model):
    id: Id
    title: str = Field(default="", max_length=200)
    rect: tuple[float, float, float, float] = (0.0, 0.0, 400.0, 300.0)
    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    nodes: list[Id] = Field(default_factory=list)


class Note(_Model):
    id: Id
    text: str = Field(default="", max_length=20_000)
    position: Vec2 = (0.0, 0.0)
    size: Vec2 | None = None
    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")


class Metadata(_Model):
    name: str = Field(default="untitled", max_length=200)
    description: str = Field(default="", max_length=20_000)
    author: str = Field(default="", max_length=200)
    created: str = Field(default="", max_length=64)
    #: node packs the workflow uses, with their versions: {"builtin": "0.1.0"}
    packs: dict[str, str] = Field(default_factory=dict)


class PortRef(_Model):
    node: Id
    port: str = Field(min_length=1, max_length=128)


class SubgraphInput(_Model):
    """A port of a subgraph node that feeds inner inputs (a wire that crossed into the selection)."""

    name: str = Field(min_length=1, max_length=128)
    to: list[PortRef] = Field(min_length=1, max_length=256)


class SubgraphOutput(_Model):
    """A port of a subgraph node that carries an inner output out (a wire that crossed out of the selection)."""

    name: str = Field(min_length=1, max_length=128)
    node: Id
    port: str = Field(min_length=1, max_length=128)


class Subgraph(_Model):
    """A reusable piece of graph: its nodes and links, and the ports a node standing for it has."""

    id: Id
    title: str = Field(default="subgraph", max_length=200)
    nodes: list[NodeRef] = Field(default_factory=list, max_length=MAX_NODES)
    links: list[Link] = Field(default_factory=list, max_length=4 * MAX_NODES)
    inputs: list[SubgraphInput] = Field(default_factory=list, max_length=256)
    outputs: list[SubgraphOutput] = Field(default_factory=list, max_length=256)
    #: the editor's notes and group frames inside it
    groups: list[Group] = Field(default_factory=list, max_length=MAX_NODES)
    notes: list[Note] = Field(default_factory=list, max_length=MAX_NODES)


class Workflow(_Model):
    """A saved graph: nodes, links in their own list, editor groups and notes, metadata."""

    format: Literal["oyster-workflow"] = FORMAT_NAME
    version: Literal[2] = FORMAT_VERSION
    metadata: Metadata = Field(default_factory=Metadata)
    nodes: list[NodeRef] = Field(default_factory=list, max_length=MAX_NODES)
    links: list[Link] = Field(default_factory=list, max_length=4 * MAX_NODES)
    groups: list[Group] = Field(default_factory=list, max_length=MAX_NODES)
    notes: list[Note] = Field(default_factory=list, max_length=MAX_NODES)
    subgraphs: list[Subgraph] = Field(default_factory=list, max_length=1000)

    def node(self, node_id: str) -> NodeRef | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def to_json(self) -> str:
        """Serialise with a stable key order so saved files diff cleanly."""
        return dumps_stable(self.model_dump(mode="json", by_alias=True))


def dumps_stable(data: dict[str, Any]) -> str:
    """JSON with fixed top-level order, node params and widget states sorted, links in a canonical order.

    Fields at their defaults that v1 had no room for (a normal mode, no subgraph, no subgraphs) are left out.
    """
    data = _stable_level(dict(data))
    if "subgraphs" in data:
        if data["subgraphs"]:
            data["subgraphs"] = [_stable_level(dict(sg)) for sg in data["subgraphs"]]
        else:
            del data["subgraphs"]
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _stable_level(data: dict[str, Any]) -> dict[str, Any]:
    for node in data.get("nodes", []):
        if node.get("mode") == "normal":
            del node["mode"]
        if "subgraph" in node and node["subgraph"] is None:
            del node["subgraph"]
        node["params"] = {k: node["params"][k] for k in sorted(node["params"])}
        editor = node.get("editor") or {}
        if editor.get("widgets"):
            editor["widgets"] = {k: editor["widgets"][k] for k in sorted(editor["widgets"])}
        elif "widgets" in editor:
            del editor["widgets"]  # no widget state: keep files as they were written before it existed
    data["links"] = sorted(
        data.get("links", []), key=lambda l: (l["to_node"], l["to_input"], l["from_node"], l["from_output"])
    )
    return data


# ------------------------------------------------------------------------------------ migration

def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v2 only adds fields (node mode, subgraphs); a v1 node of type "subgraph" would now mean one, so refuse it."""
    nodes = data.get("nodes")
    for node in nodes if isinstance(nodes, list) else []:  # the schema reports a "nodes" that is not a list
        if isinstance(node, dict) and node.get("type") == SUBGRAPH_TYPE:
            raise WorkflowError([Problem("format", "a version-1 node has the type 'subgraph', which version 2 "
                                         "reserves", node=str(node.get("id")), field="type",
                                         fix="rename that node type in the file")])
    return data


#: MIGRATIONS[v] turns a version-v document into a version-(v+1) document
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def migrate(data: dict[str, Any],
            migrations: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] | None = None) -> dict[str, Any]:
    """Bring a workflow document of any known version up to FORMAT_VERSION."""
    steps = MIGRATIONS if migrations is None else migrations
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise WorkflowError([Problem("format", f"'version' must be a whole number, got {version!r}",
                                     field="version", fix=f"set \"version\": {FORMAT_VERSION}")])
    if version > FORMAT_VERSION:
        raise WorkflowError([Problem(
            "format", f"written for workflow format {version}; this Oyster Nodes reads up to {FORMAT_VERSION}",
            field="version", fix="upgrade Oyster Nodes to open it")])
    while version < FORMAT_VERSION:
        if version not in steps:
            raise WorkflowError([Problem("format", f"no migration from workflow format {version}",
                                         field="version", fix=f"re-save it as version {FORMAT_VERSION}")])
        data = steps[version](dict(data))
        version += 1
        data["version"] = version
    return data


# --------------------------------------------------------------------------------------- loading


def parse_text(text: str | bytes, *, source: str = "workflow") -> Workflow:
    """Parse untrusted workflow JSON; raise WorkflowError listing every problem."""
    size = len(text)
    if size > MAX_BYTES:
        raise WorkflowError([Problem("size", f"{source} is {size} bytes; the limit is {MAX_BYTES}",
                                     fix="remove unused nodes or split the workflow")])
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise WorkflowError([_too_deep(source)]) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise WorkflowError([Problem("json", f"{source} is not valid JSON: {exc}",
                                     fix="check the file is a saved workflow")]) from None
    return parse_data(data, source=source)


def parse_data(data: Any, *, source: str = "workflow") -> Workflow:
    """Check shape, version and schema of an already-decoded JSON document."""
    if not isinstance(data, dict):
        raise WorkflowError([Problem("format", f"{source} must be a JSON object, got {type(data).__name__}",
                                     fix="check the file is a saved workflow")])
    if _depth(data) > MAX_DEPTH:
        raise WorkflowError([_too_deep(source)])
    if data.get("format") != FORMAT_NAME:
        raise WorkflowError([Problem("format", f"'format' is {str(data.get('format'))[:40]!r}, "
                                     f"expected {FORMAT_NAME!r}", field="format",
                                     fix="this is not an Oyster Nodes workflow")])
    data = migrate(data)
    try:
        return Workflow.model_validate(data)
    except ValidationError as exc:
        raise WorkflowError([_schema_problem(data, err) for err in exc.errors()[:200]]) from None


def load(path: str | Path, *, shown: str | None = None) -> Workflow:
    """The workflow in a file; its problems name it as `shown` (e.g. a path relative to a served folder)."""
    p = Path(path)
    name = shown or str(p)
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise WorkflowError([Problem("size", f"{name} is {size} bytes; the limit is {MAX_BYTES}")])
        text = p.read_bytes()
    except OSError as exc:
        why = exc.strerror or (exc if shown is None else "unreadable")
        raise WorkflowError([Problem("file", f"cannot read {name}: {why}")]) from None
    return parse_text(text, source=name)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed in a workflow")


def _too_deep(source: str) -> Problem:
    return Problem("size", f"{source} is nested more than {MAX_DEPTH} levels deep",
                   fix="workflow values cannot nest that deeply")


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _schema_problem(data: dict[str, Any], err: Any) -> Problem:
    loc = list(err.get("loc", ()))
    node_id = None
    if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int):
        nodes = data.get("nodes")
        if isinstance(nodes, list) and loc[1] < len(nodes) and isinstance(nodes[loc[1]], dict):
            raw = nodes[loc[1]].get("id")
            node_id = raw if isinstance(raw, str) else f"#{loc[1]}"
        loc = loc[2:]
    where = ".".join(str(x) for x in loc) or None
    msg = str(err.get("msg", "is invalid"))
    return Problem("schema", msg, node=node_id, field=where, fix=_schema_fix(err))


def _schema_fix(err: Any) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "remove this field"
    if kind == "missing":
        return "add this field"
    if kind.startswith("string_pattern"):
        return "use letters, digits and _ . : - only" if "id" in str(err.get("loc")) else "fix its format"
    return "fix this value"


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of the current workflow format."""
    schema = Workflow.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"urn:oyster-nodes:workflow:v{FORMAT_VERSION}"
    schema["title"] = "Oyster Nodes workflow"
    return schema

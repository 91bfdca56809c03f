"""Workflow JSON is untrusted: random and mutated documents give clean problems, never a crash."""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oyster_nodes.cache import Cache
from oyster_nodes.executor import Executor
from oyster_nodes.graph import build, validate
from oyster_nodes.workflow import Problem, WorkflowError, parse_data, parse_text

from .test_cli import chain_doc

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)

FIELDS = ["format", "version", "nodes", "links", "groups", "notes", "metadata", "id", "type", "params",
          "from_node", "from_output", "to_node", "to_input", "editor", "device", "value", "operation", "b_value"]


def check(doc, registry) -> None:
    """Parse, validate and (when valid) run; anything but clean problems fails the test."""
    try:
        wf = parse_text(json.dumps(doc))
        problems = validate(wf, registry)
    except WorkflowError as exc:
        problems = exc.problems
    assert all(isinstance(p, Problem) and str(p) for p in problems)
    if not problems:
        result = Executor(Cache(memory_bytes=1 << 20), workers=1).run(build(wf, registry))
        assert all(r.status in ("done", "cached", "error", "skipped") for r in result.records.values())


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(doc=json_values)
def test_random_documents(doc, full_registry):
    check(doc, full_registry)


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(doc=st.fixed_dictionaries({"format": st.just("oyster-workflow"), "version": st.just(1)},
                                 optional={k: json_values for k in ("nodes", "links", "groups", "notes", "metadata")}))
def test_random_workflow_shaped_documents(doc, full_registry):
    check(doc, full_registry)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


BASE = chain_doc(4)
PATHS = [p for p in _paths(BASE) if p]


@st.composite
def mutated(draw):
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(PATHS))
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            action = draw(st.sampled_from(["replace", "delete", "rename", "add"]))
            last = path[-1]
            if action == "replace":
                parent[last] = draw(json_values)
            elif action == "delete":
                del parent[last]
            elif action == "rename" and isinstance(parent, dict):
                parent[draw(st.sampled_from(FIELDS))] = parent.pop(last)
            elif action == "add" and isinstance(parent, dict):
                parent[draw(st.sampled_from(FIELDS))] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue
    return doc


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(doc=mutated())
def test_mutated_workflows(doc, full_registry):
    check(doc, full_registry)


def test_base_document_is_valid(full_registry):
    assert validate(parse_data(copy.deepcopy(BASE)), full_registry) == []


def test_huge_numbers_are_clean_problems(full_registry):
    doc = copy.deepcopy(BASE)
    doc["nodes"][0]["params"]["value"] = 10**400
    [p] = validate(parse_data(doc), full_registry)
    assert p.kind == "bad_param" and "too large" in p.message

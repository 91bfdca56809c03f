"""Action script node: a timeline of events from a small text form, JSON, or plain English lines."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from oyster_nodes.node import Node, Param, ParamProblem, Port, RunContext, parse_problems
from oyster_nodes.types import ActionScript
from oyster_nodes.world import (
    MAX_EVENTS,
    MAX_SCRIPT_CHARS,
    SIZE_FIX,
    TEXT_ENCODER,
    check_script,
    check_size,
    events_help,
    parse_json,
    parse_lines,
    parse_script,
)

EXAMPLE = """# time  event  values — '#' starts a comment
at 0s spawn sphere ball1 pos=512,512 height=20 size=0.5 color=red material=rubber
at 2s impulse ball1 0,40,20
from 0s to 5s wind 10 dir=90
at 3s drop a blue crate from 15 m
"""


class ActionScriptNode(Node):
    """Events over time: one event per line, a JSON list of events, or English lines."""

    #: what the editor and `oyster nodes` show: written from the parser's and the English matcher's tables
    description = (
        "Events over time. One event per line ('at 2s spawn sphere ball1 height=20', 'from 1s to 3s wind 12 "
        "dir=90'), a JSON list of events, or English ('at 2s drop a red ball from 20 m'); the parsed output "
        "shows how each line was read.\n" + events_help()
    )

    type = "action.script"
    title = "Action script"
    category = "action"
    outputs = (Port("script", ActionScript), Port("parsed", str, "each line as it was understood"))
    params = (
        Param("script", str, EXAMPLE, widget="script", max_length=MAX_SCRIPT_CHARS,
              description=f"one event per line, JSON, or plain English; at most {MAX_SCRIPT_CHARS} characters "
                          f"and {MAX_EVENTS} events"),
        Param("format", str, "auto", choices=("auto", "text", "json"), description="auto: JSON if it starts with [ or {"),
        Param("english", bool, True, description="read lines that are not in the line form as English"),
    )

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> list[ParamProblem]:
        size = parse_problems("script", SIZE_FIX, check_size, params["script"],
                              json_form=None if params["format"] == "auto" else params["format"] == "json")
        if size:
            return size
        # English lines need the sentence encoder: they are read, and their problems shown, when the node runs
        return parse_problems("script", "fix that line (the parsed output shows how the others were read)",
                              check_script, params["script"], format=params["format"], english=params["english"])

    def run(self, ctx: RunContext, *, script: str, format: str, english: bool) -> dict[str, object]:
        with ExitStack() as stack:
            # the encoder is loaded (or taken from the executor's store) only once a line is English
            def encoder() -> Any:
                return stack.enter_context(ctx.use_component(TEXT_ENCODER, "cpu"))

            if format == "json":
                parsed = parse_json(script)
            elif format == "text":
                parsed = parse_lines(script, encoder=encoder, english=english)
            else:
                parsed = parse_script(script, encoder=encoder, english=english)
        for note in parsed.notes:
            ctx.warn(note)
        if not parsed.events:
            ctx.warn("the script has no events")
        return {"script": parsed.to_script(script), "parsed": parsed.shown()}


NODES = (ActionScriptNode,)

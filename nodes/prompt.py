"""Prompt nodes: text in, a Prompt out; a Prompt understood as a WorldSpec."""

from __future__ import annotations

from typing import Any

from oyster_nodes.node import Node, Param, ParamProblem, Port, RunContext, parse_problems
from oyster_nodes.types import Prompt
from oyster_nodes.world import STYLES, TEXT_ENCODER, WorldSpec, spec_from_prompt


class PromptText(Node):
    """A text prompt describing a world, with what to leave out, a seed and a style."""

    type = "prompt.text"
    title = "Prompt"
    category = "prompt"
    outputs = (Port("prompt", Prompt),)
    params = (
        Param(
            "text", str, "", widget="textarea", max_length=4000, description="what the world should look like"
        ),
        Param("negative", str, "", widget="textarea", max_length=4000, description="what to leave out"),
        Param("seed", int, 0, min=0, max=2**31 - 1, widget="seed"),
        Param("style", str, "natural", choices=STYLES),
    )

    def run(self, ctx: RunContext, *, text: str, negative: str, seed: int, style: str) -> Prompt:
        return Prompt(text=text, negative=negative, seed=seed, style=style)


class PromptToSpec(Node):
    """Understand a prompt: map its words onto landforms, water, plants, buildings, sky and mood."""

    type = "prompt.to_spec"
    title = "Prompt to world spec"
    category = "prompt"
    inputs = (Port("prompt", Prompt),)
    outputs = (Port("spec", WorldSpec), Port("matches", str, "matched concepts and their strengths"))
    params = (
        Param("override", dict, {}, widget="json", description="JSON merged over the spec to correct it"),
        Param("use_model", bool, True, description="use the sentence encoder for words without a rule"),
    )

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> list[ParamProblem]:
        return parse_problems("override", "correct or remove that field of the override",
                              WorldSpec.check_override, params["override"])

    def run(
        self, ctx: RunContext, *, prompt: Prompt, override: dict[str, Any], use_model: bool
    ) -> dict[str, Any]:
        if use_model:
            with ctx.use_component(TEXT_ENCODER, "cpu") as encoder:
                spec = spec_from_prompt(prompt, encoder)
        else:
            spec = spec_from_prompt(prompt, None)
        if override:
            spec = spec.with_overrides(override)
        if not prompt.text.strip():
            ctx.warn("empty prompt: generated a default world (rolling hills, afternoon, clear sky)")
        for note in spec.notes:
            if note.startswith(("not understood", "not honoured")):  # never dropped silently
                ctx.warn(note)
        return {"spec": spec, "matches": spec.match_table()}


NODES = (PromptText, PromptToSpec)

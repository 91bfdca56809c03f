"""Values and arithmetic: small building blocks for parameters shared across a graph."""

from __future__ import annotations

import math

from oyster_nodes import Node, Param, Port, RunContext


class Number(Node):
    """A number to feed into other nodes' inputs."""

    type = "core.number"
    title = "Number"
    category = "values"
    outputs = (Port("value", float),)
    params = (Param("value", float, 0.0, description="The number"),)

    def run(self, ctx: RunContext, *, value: float) -> float:
        return value


class Integer(Node):
    """A whole number (frame counts, seeds, sizes)."""

    type = "core.integer"
    title = "Integer"
    category = "values"
    outputs = (Port("value", int),)
    params = (Param("value", int, 0, description="The whole number"),)

    def run(self, ctx: RunContext, *, value: int) -> int:
        return value


class Text(Node):
    """A piece of text."""

    type = "core.text"
    title = "Text"
    category = "values"
    outputs = (Port("text", str),)
    params = (Param("text", str, "", widget="textarea", description="The text"),)

    def run(self, ctx: RunContext, *, text: str) -> str:
        return text


OPERATIONS = {
    "add": lambda a, b: a + b,
    "subtract": lambda a, b: a - b,
    "multiply": lambda a, b: a * b,
    "divide": lambda a, b: a / b,
    "min": min,
    "max": max,
    "power": lambda a, b: a**b,
}


class Math(Node):
    """Combine two numbers; b falls back to the 'b' parameter when its input is not connected."""

    type = "core.math"
    title = "Math"
    category = "values"
    inputs = (Port("a", float), Port("b", float, optional=True))
    outputs = (Port("result", float),)
    bypass = {"result": "a"}
    params = (
        Param("operation", str, "add", choices=tuple(OPERATIONS), description="What to do with a and b"),
        Param("b_value", float, 0.0, description="Used for b when the b input is not connected"),
    )

    def run(self, ctx: RunContext, *, a: float, b: float | None, operation: str, b_value: float) -> float:
        rhs = b_value if b is None else b
        if operation == "divide" and rhs == 0:
            raise ZeroDivisionError("b is 0: connect or set a non-zero divisor")
        result = float(OPERATIONS[operation](a, rhs))
        if not math.isfinite(result):
            raise ValueError(f"{operation} of {a} and {rhs} is not a finite number")
        return result


NODES = (Number, Integer, Text, Math)

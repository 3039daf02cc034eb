"""Two traces of the same question on the same table, step by step: where their programs part (the Compare
page's side-by-side view). A difference is what changes what a step computes: the operation, its column or its
pivot; probabilities are left out on purpose (two checkpoints never agree on them, and the hard program is what
runs at test time). No streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import zip_longest

from engine.np2016.program import op_label
from engine.np2016.trace import fmt

OPERATION, COLUMN, PIVOT, MISSING = "operation", "column", "pivot", "step"


@dataclass(frozen=True)
class StepPair:
    """Step t of both programs (None where a program has fewer steps) and what differs between them."""

    t: int
    left: dict | None
    right: dict | None
    differs: tuple[str, ...]  # empty when both steps compute the same thing

    @property
    def same(self) -> bool:
        return not self.differs


def step_difference(left: dict | None, right: dict | None) -> tuple[str, ...]:
    """What differs between two steps of a trace: (), or some of "operation", "column", "pivot";
    ("step",) when only one program has this step."""
    if left is None or right is None:
        return () if left is right else (MISSING,)
    if left["op"] != right["op"]:
        return (OPERATION,)
    return tuple(what for what, key in ((COLUMN, "column_name"), (PIVOT, "pivot")) if left.get(key) != right.get(key))


def aligned_steps(left: dict, right: dict) -> list[StepPair]:
    """One pair per step t1…tT of two traces (the longer T when the checkpoints differ in steps)."""
    steps = enumerate(zip_longest(left["steps"], right["steps"]), start=1)
    return [StepPair(t, s, r, step_difference(s, r)) for t, (s, r) in steps]


def first_difference(left: dict, right: dict) -> StepPair | None:
    """The first step where the two traces' programs differ, or None when they run the same program."""
    return next((p for p in aligned_steps(left, right) if not p.same), None)


def step_name(step: dict | None) -> str:
    """A step in a few words: "greater A (pivot 20)", "sum B", "count", "reset"; "no step" for None."""
    if step is None:
        return "no step"
    words = op_label(step["op"])
    if step.get("column_name") is not None:
        words += f" {step['column_name']}"
    if step.get("pivot") is not None:
        words += f" (pivot {fmt(step['pivot'])})"
    return words


def parting_line(pair: StepPair | None, left_name: str, right_name: str) -> str:
    """The sentence that says where the programs part (plain text: the caller escapes it for markdown):
    "They part at t2: greater A (pivot 20) vs lesser A (pivot 60) — the operation differs"."""
    if pair is None:
        return f"{left_name} and {right_name} run the same program: every step has the same operation, column " \
               "and pivot."
    if pair.differs == (MISSING,):
        what = "only one of the checkpoints has this step"
    else:
        what = " and the ".join(pair.differs)
        what = f"the {what} {'differs' if len(pair.differs) == 1 else 'differ'}"
    return f"They part at t{pair.t}: {step_name(pair.left)} vs {step_name(pair.right)} — {what}."

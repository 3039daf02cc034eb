"""What the real-tables model (2017) considered and how far to trust its answer: the calibrated confidence under
the answer (explorer/real_tables.confidence, which model_choice.get_trace puts in extra["confidence"]), and the
programs its beam considered, each with its probability, its answer and why it was passed over
(engine/wtq2017/decode.py). Only the 2017 trace carries these."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from explorer import checkpoints, escape
from explorer.components import context


def heading(trace: dict) -> str | None:
    """"**A guess, not an answer**" when the answer's band was right too rarely on dev, or the question asks for
    what the model's operations cannot compute (a total, an average, a difference); None otherwise."""
    found = trace["extra"].get("confidence")
    guess = (found is not None and found["guess"]) or trace["extra"].get("cannot_say")
    return "**A guess, not an answer**" if guess else None


def confidence_note(trace: dict) -> None:
    """What the question asks that the model cannot compute, the engine's other warnings, then the program's
    probability and how often dev answers of that probability were right."""
    for w in trace["warnings"]:
        st.warning(escape.md(w[0].upper() + w[1:] + "."), icon=":material/warning:")
    found = trace["extra"].get("confidence")
    p = trace["extra"]["probability"]
    if found is None:
        st.caption(f"Program probability {p:.2f}; this checkpoint has no calibration, so how often such answers "
                   "are right is not known.")
        return
    # one short line under the answer (the first screen also holds the program); the band and source on hover
    where = (f"Answers whose program had probability {found['lo']:g}–{found['hi']:g}: {found['total']:,} of "
             f"{escape.md(found['split'])} at beam {found['beam']} (benchmarks/wtq_decoding.py). Dev chose this "
             "checkpoint, so the share is a selection figure.")
    if found["right_share"] is None:
        st.warning(f"**Unknown confidence:** no dev answer had a program this probable ({p:.2f}). {where}")
    elif found["guess"]:
        st.warning(f"**Probably wrong:** answers like this (program probability {p:.2f}) were right "
                   f"{found['right_share']:.0%} of the time on dev. {where}", icon=":material/help:")
    else:  # (no "verified" mark on an answer the language cannot compute, whatever its band)
        mark = "" if trace["extra"].get("cannot_say") else ":material/verified: "
        st.caption(f"{mark}Answers like this (program probability {p:.2f}) were right {found['right_share']:.0%} "
                   "of the time on dev.", help=where)


def candidates_frame(trace: dict) -> pd.DataFrame:
    """One row per program considered, most probable first (cells are shown as text, never as Markdown)."""
    chosen = trace["extra"]["chosen"]
    return pd.DataFrame([{"#": k + 1, "probability": round(c["probability"], 4), "answer": c["answer"],
                          "why": "chosen" if k == chosen else (c["rejected"] or "not needed"),
                          "program": " · ".join(line.split(": ", 1)[1] for line in c["program_text"])}
                         for k, c in enumerate(trace["extra"]["candidates"])])


def candidates(trace: dict, key: str) -> None:
    """The programs considered, in an expander (closed: the first screen holds the answer and the program)."""
    found = trace["extra"].get("candidates")
    if not found:
        return
    chosen = trace["extra"]["chosen"]
    passed = f"; the {chosen} more probable one(s) were passed over" if chosen else ""
    with st.expander(f"Programs considered: {len(found)}, the chosen one is #{chosen + 1}{passed}"):
        st.caption("The model's most probable programs, each run on the table. It answers with the most probable one "
                   "whose answer is not empty, not a count of zero and not only blank cells (execution-guided "
                   "decoding; the paper took the most probable operation and column at each step). “Not needed”: a "
                   "more probable program had already given an answer.")
        st.dataframe(candidates_frame(trace), hide_index=True, key=key, width="stretch")


def synthetic_reading(ctx: context.Context, trace: dict) -> None:
    """When the question asks for what the real-tables model cannot compute (extra["cannot_say"]) and the synthetic
    model reads a grammar question close to it, that reading and its answer beside the guess, with one click to
    ask it: the user sees both answers and which question each one answered."""
    if not trace["extra"].get("cannot_say") or ctx.entry is None or ctx.entry.error:
        return
    guess = context.honest_guess(ctx, trace["question"])
    if guess is None or not guess.suggestion:
        return
    try:
        other = checkpoints.run_trace(ctx.entry, ctx.columns, ctx.rows, guess.suggestion)
    except Exception:  # noqa: BLE001 - an offer, not an answer: left out when the synthetic model cannot run
        return
    st.info(f"**The synthetic model can compute it:** it reads the question as “{escape.md(guess.suggestion)}” "
            f"(its own grammar) and answers **{escape.md(other['answer']['text'])}**. Check that this reading "
            "means what you asked.", icon=":material/calculate:")
    st.button(f"Ask the synthetic model: **{escape.md(guess.suggestion)}**", key="ask_synthetic_reading",
              on_click=context.ask_instead, args=(guess.suggestion,))

"""What the real-tables model (2017) considered and how far to trust its answer: the calibrated confidence under
the answer (explorer/real_tables.confidence, which model_choice.get_trace puts in extra["confidence"]), for an
ensemble how many of its models give that answer (extra["ensemble"], engine/wtq2017/ensemble.py), and the
programs its beam considered, each with its probability, its answer and why it was passed over
(engine/wtq2017/decode.py). Only the 2017 trace carries these."""

from __future__ import annotations

from collections import Counter

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
    """The engine's warnings, the program's probability and how often dev answers like it were right, agreement."""
    for w in trace["warnings"]:
        st.warning(escape.md(w[0].upper() + w[1:] + "."), icon=":material/warning:")
    _probability_note(trace)
    agreement = agreement_text(trace)
    if agreement is not None:  # one line under the answer (the first screen also holds the program)
        st.caption(f":material/groups: {agreement}.", help=AGREEMENT_HELP)


def _probability_note(trace: dict) -> None:
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


MAX_OTHERS = 3  # other answers named on the agreement line (the line stays one line under the answer)
MAX_ANSWER = 40  # characters of each (an answer can list many cells)
AGREEMENT_HELP = ("Each model's own answer comes from its most probable program (no beam); the ensemble's from "
                  "their per-step probabilities averaged, then the beam. An answer most of them give does not hang "
                  "on one model's training.")


def _short(text: str) -> str:
    return text if len(text) <= MAX_ANSWER else text[:MAX_ANSWER - 1] + "…"


def agreement_text(trace: dict) -> str | None:
    """For an ensemble's answer: "k of n models in the ensemble give this answer" (or none of them), and when some
    do not, what they say (each escaped: it is table text), as markdown; None for one model's answer."""
    found = trace["extra"].get("ensemble")
    if not found:
        return None
    members = found["members"]
    n, k = len(members), round(found["agree"] * len(members))
    text = (f"{k} of {n} models in the ensemble {'gives' if k == 1 else 'give'} this answer" if k else
            f"None of the {n} models in the ensemble gives this answer on its own")
    # a member's answer is its denotation joined as the engine writes it (engine/wtq2017/trace.py)
    den = trace["extra"].get("denotation")
    ours = (", ".join(den) or "(no answer)") if den is not None else trace["answer"]["text"]
    others = Counter(said for said in members if said != ours)  # each other answer, with how many models give it
    if not others:
        return text
    named = others.most_common()
    said = ", ".join(f"“{escape.md(_short(a))}”" + (f" ({c} models)" if c > 1 else "")
                     for a, c in named[:MAX_OTHERS])
    more = f" and {len(named) - MAX_OTHERS} more" if len(named) > MAX_OTHERS else ""
    who = "they say" if not k else "the other says" if sum(others.values()) == 1 else "the others say"
    return f"{text}; {who}: {said}{more}"


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
    model reads a grammar question close to it: that reading and its answer, with one click to ask it."""
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

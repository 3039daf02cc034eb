"""Teach: mark the right answer to a question and add it to this session's custom training set, recording which
checkpoint answered (TAUGHT_BY): the Train page fine-tunes from that one and reports the accuracy on the taught
examples and on fresh questions of its own task (explorer/fine_tune_scores.py)."""

from __future__ import annotations

import json

import streamlit as st

from engine.core.limits import CUSTOM_MAX_EXAMPLES
from explorer import escape, state

# {"id": the checkpoint that answered the latest taught question, "added": how many additions so far}; the
# count tells the Train page that a new teaching happened, so it moves its base checkpoint to that one once
TAUGHT_BY = "teach_taught_by"
GO_TRAIN = "teach_go_train"  # the button that opens the Train page on the custom set
ss = st.session_state


def taught_by() -> dict | None:
    value = ss.get(TAUGHT_BY)
    return value if isinstance(value, dict) and isinstance(value.get("id"), str) else None


def _add(ctx, question: str) -> None:
    if ss.get(state.TEACH_KIND) == "a number":
        value = ss.get(state.TEACH_NUMBER)
        if value is None:
            ss[state.TEACH_MSG] = ("error", "Type the right number first.")
            return
        answer = {"scalar": float(value)}
    else:
        col = ss.get(state.TEACH_COLUMN)
        rows = ss.get(state.TEACH_ROWS) or []
        if col not in ctx.columns or not rows:
            ss[state.TEACH_MSG] = ("error", "Pick the column and the rows of the answer cells first.")
            return
        j = ctx.columns.index(col)
        answer = {"cells": [[int(r), j] for r in sorted(rows)]}
    custom = ss.setdefault(state.CUSTOM, [])
    if len(custom) >= CUSTOM_MAX_EXAMPLES:
        ss[state.TEACH_MSG] = ("error", f"The custom set is full ({CUSTOM_MAX_EXAMPLES} examples): train on it or "
                               "clear it on the Train page.")
        return
    custom.append({"columns": list(ctx.columns), "rows": [list(r) for r in ctx.rows], "question": question,
                   "answer": answer, "template": "custom", "program": "custom"})
    answered = ""
    if (entry := getattr(ctx, "entry", None)) is not None:
        answered = f" ({escape.md(getattr(entry, 'plain_name', entry.label))})"
        ss[TAUGHT_BY] = {"id": entry.id, "added": (taught_by() or {"added": 0})["added"] + 1}
    ss[state.TEACH_MSG] = ("success", f"Added. The custom set has {len(custom)} example(s). Fine-tuning on it "
                           f"starts from the checkpoint that answered{answered}.")


def panel(ctx, trace: dict, right: dict | None, agree: bool | None) -> None:
    """An expander to add (table, question, right answer) to the custom set."""
    question = trace["question"]
    with st.expander("Teach: mark the right answer and add it to a custom training set", expanded=agree is False):
        cells = (right and "cells" in right) or (not right and trace["answer"]["kind"] == "cells")
        ss.setdefault(state.TEACH_KIND, "cells of the table" if cells else "a number")
        st.radio("The right answer is", ["a number", "cells of the table"], key=state.TEACH_KIND, horizontal=True)
        if ss[state.TEACH_KIND] == "a number":
            if right and "scalar" in right and ss.get(state.TEACH_FOR) != question:
                ss[state.TEACH_NUMBER] = float(right["scalar"])
            st.number_input("Right answer", key=state.TEACH_NUMBER, value=None, format="%.4f",
                            placeholder="type the number")
        else:
            if right and "cells" in right and ss.get(state.TEACH_FOR) != question:
                cols = {c for _, c in right["cells"]}
                ss[state.TEACH_COLUMN] = ctx.columns[cols.pop()] if len(cols) == 1 else ctx.columns[0]
                ss[state.TEACH_ROWS] = [r for r, _ in right["cells"]]
            left, right_col = st.columns([1, 2])
            left.selectbox("Column", ctx.columns, key=state.TEACH_COLUMN)
            right_col.multiselect("Rows", list(range(len(ctx.rows))), key=state.TEACH_ROWS,
                                  placeholder="row numbers as in the table's index")
        ss[state.TEACH_FOR] = question
        st.button("Add to the custom set", on_click=_add, args=(ctx, question), key="teach_add")
        msg = ss.pop(state.TEACH_MSG, None)
        if msg:
            getattr(st, msg[0])(msg[1])
        n = len(ss.get(state.CUSTOM, []))
        if n:
            st.caption(f"The custom set of this session has {n} example(s).")
            if st.button("Fine-tune on it (Train page)", key=GO_TRAIN,  # the Train page's task: the custom set
                         on_click=lambda: ss.update({state.TRAIN_TASK: "custom"})):
                st.switch_page(state.TRAIN.path)
            st.download_button("Custom set as JSONL", "\n".join(json.dumps(e) for e in ss[state.CUSTOM]),
                               "custom_set.jsonl", "application/json", on_click="ignore", key="dl_custom_ask")

"""Sweeps: any sweep directory (the shipped ones under docs/sweeps/, the Train page's under runs/sweeps/, or a typed
path under an allowed folder, NPX_SWEEP_DIRS) drawn by sweep_view; the paper's trainability sweep opens first."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from explorer import escape, state, sweeps
from explorer.components import sweep_view

PICK, TYPED = sweep_view.PAGE_PICK, "sweep_typed_path"
OTHER = "other"  # the picker's choice that shows the path box
ss = st.session_state

st.title("Sweeps")
st.caption("A sweep trains the same model many times: every combination of a few hyper-parameter values (the grid), "
           "each with several seeds. It shows how reliably a method trains, not just its best run. Sweeps come from "
           "`python -m engine sweep` or from the *Small sweep* section of the Train page.")
state.show_flash()

paper = sweeps.paper_sweep()
if not (paper / "sweep.json").is_file():
    st.info(f"The paper's trainability sweep ({escape.md(sweeps.PAPER_SWEEP)}) is not in this copy of the app: "
            f"it would be at {escape.md(paper)}. Pick another sweep below, or type the path of one.")

found = {str(path): label for label, path in sweeps.list_sweeps()}
choices = [*found, OTHER]
if ss.get(PICK) not in choices:
    ss[PICK] = str(paper) if str(paper) in found else choices[0]
pick = st.selectbox("Sweep directory", choices, key=PICK,
                    format_func=lambda c: "Another directory (type its path)…" if c == OTHER else found[c])

path = None
if pick == OTHER:
    typed = st.text_input("Path of a sweep directory (absolute, or relative to the app's folder)", key=TYPED,
                          placeholder="runs/sweeps/20260101-120000").strip()
    if typed:
        try:
            path = sweeps.typed_directory(typed)  # resolved, and under an allowed folder
        except sweeps.SweepError as e:  # one message whatever the reason: it never says what exists there
            st.error(escape.md(e))
    else:
        st.info("Type the path of a directory that holds a sweep.json (written by `python -m engine sweep`) "
                "under one of these folders: " + escape.md(", ".join(map(str, sweeps.allowed_roots()))) + ".")
else:
    path = Path(pick)

if path is not None:
    try:
        sweep = sweeps.load(path)
    except (sweeps.SweepError, OSError) as e:  # OSError: a file there cannot be read (permissions, I/O)
        st.error(escape.md(e))
    else:
        st.caption(f"Directory: {escape.md(path)}")
        sweep_view.draw(sweep, "sweep")

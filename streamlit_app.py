"""Neural Programmer Explorer: the router. Pages live in explorer/pages/ (listed in explorer/state.py),
the engine in engine/."""

import streamlit as st

from explorer import state
from explorer.components import progress_panel


def run() -> None:
    st.set_page_config("Neural Programmer Explorer", page_icon=":material/table_chart:", layout="wide")
    state.init_state()
    page = st.navigation([st.Page(p.path, title=p.title, icon=f":material/{p.icon}:", default=p is state.ASK,
                                  url_path=None if p is state.ASK else p.name) for p in state.PAGES])
    st.sidebar.caption(
        "Neural Programmer (Neelakantan, Le & Sutskever, 2016): a neural network that answers questions "
        "about tables by inducing a program of built-in operations. Plain English on real tables: its 2017 "
        "follow-up (Neelakantan, Le, Abadi, McCallum & Amodei), trained on WikiTableQuestions."
    )
    if page.url_path != state.TRAIN.name:  # the Train page shows the run (and beats the heart) itself
        with st.sidebar:  # this browser's training run, if any: its progress, and the owner's heartbeat
            progress_panel.sidebar_status()
    page.run()


run()

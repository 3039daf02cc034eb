"""Neural Programmer Explorer: the router. Pages live in explorer/pages/, the engine in engine/."""

import streamlit as st

from explorer.state import init_state

PAGES = [
    st.Page("explorer/pages/ask.py", title="Ask", icon="❓", url_path="ask", default=True),
    st.Page("explorer/pages/step.py", title="Step through", icon="⏯️", url_path="step"),
    st.Page("explorer/pages/train.py", title="Train", icon="🏋️", url_path="train"),
    st.Page("explorer/pages/programs.py", title="Programs", icon="🧾", url_path="programs"),
    st.Page("explorer/pages/compare.py", title="Compare", icon="⚖️", url_path="compare"),
    st.Page("explorer/pages/about.py", title="About / Lessons", icon="🎓", url_path="about"),
]


def run() -> None:
    st.set_page_config(page_title="Neural Programmer Explorer", page_icon="🧮", layout="wide")
    init_state()
    page = st.navigation(PAGES)
    st.sidebar.caption(
        "Neural Programmer (Neelakantan, Le & Sutskever, 2016): a neural network that "
        "answers questions about tables by inducing a program of built-in operations."
    )
    page.run()


run()

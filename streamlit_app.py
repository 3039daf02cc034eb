"""Neural Programmer Explorer: the router. Pages live in explorer/pages/, the engine in engine/."""

import streamlit as st

from explorer.state import init_state

PAGES = [
    ("ask", "Ask", "quiz"),
    ("step", "Step through", "play_circle"),
    ("train", "Train", "model_training"),
    ("programs", "Programs", "account_tree"),
    ("compare", "Compare", "compare"),
    ("about", "About / Lessons", "school"),
]


def run() -> None:
    st.set_page_config("Neural Programmer Explorer", page_icon=":material/table_chart:", layout="wide")
    init_state()
    pages = [
        st.Page(f"explorer/pages/{name}.py", title=title, icon=f":material/{icon}:", default=name == "ask",
                url_path=None if name == "ask" else name)
        for name, title, icon in PAGES
    ]
    page = st.navigation(pages)
    st.sidebar.caption(
        "Neural Programmer (Neelakantan, Le & Sutskever, 2016): a neural network that answers questions "
        "about tables by inducing a program of built-in operations."
    )
    page.run()


run()

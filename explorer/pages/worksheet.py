"""Worksheet: a teacher's table and questions (with the answers expected), shared as a link or a file; a student
walks through them one at a time, each answered and marked, then a summary (explorer/components/worksheet_*.py)."""

from __future__ import annotations

import streamlit as st

from explorer import state
from explorer.components import worksheet_teacher, worksheet_view

st.title("Worksheet")
state.show_flash()
worksheet_view.read_link()  # before the view control: a new link opens the student view
st.session_state.setdefault(worksheet_view.MODE, "student" if st.session_state.get(worksheet_view.SHEET) else "teacher")
mode = st.segmented_control("View", ["student", "teacher"], key=worksheet_view.MODE, required=True,
                            format_func={"student": "Student: walk through a worksheet",
                                         "teacher": "Teacher: make one"}.get)
if mode == "teacher":
    worksheet_teacher.form()
else:
    worksheet_view.student()

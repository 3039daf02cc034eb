"""One sweep on screen (the Sweeps page, the Train page's small sweep): its spec in words, the runs that reached the
target, the summary table and the figures. Every string from a sweep directory is user input: markdown gets
escape.md, plotly labels and hover text escape.html; hover templates hold only our own words."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine.sweep.stats import by_value
from explorer import escape, sweeps
from explorer.components import figures

PAGE_PICK = "sweep_pick"  # the Sweeps page's directory picker (the Train page sets it to open its sweep there)
REACHED, MISSED = "#2ca02c", "#9e9e9e"
MAX_CURVES = 300  # lines in the curves figure; a larger sweep shows the first ones and says so


def value_text(value) -> str:
    """A grid value as people write it: 0.001, 1e-06, true, or the text itself."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def spec_lines(sweep: sweeps.Sweep) -> list[str]:
    """The spec in words, as markdown lines (every value from the file escaped)."""
    spec, grid = sweep.spec, sweep.spec["grid"]
    points = math.prod(len(v) for v in grid.values())
    cells = "; ".join(f"{escape.md(name)} ∈ {{{escape.md_join(value_text(v) for v in values)}}}"
                      for name, values in grid.items())
    lines = [f"**Preset** {escape.md(spec['preset'])} · **task** {escape.md(spec['task'])}",
             f"**Grid:** {cells or 'one point'} — {points} point(s) × {spec['seeds']} seed(s) = {sweep.total} runs"]
    cfg = sweeps.run_settings(spec)
    if cfg is not None:
        epochs = cfg.steps * cfg.batch_size / cfg.train_size
        lines.append(f"**Each run:** {cfg.steps:,} steps of {cfg.batch_size} examples = {epochs:.3g} epoch(s) "
                     f"of {cfg.train_size:,} training examples, validated every {cfg.eval_every:,} steps")
    fixed = {k: v for k, v in spec.get("base", {}).items() if k not in grid}
    if fixed:
        lines.append("**Fixed:** " + ", ".join(f"{escape.md(k)} = {escape.md(value_text(v))}"
                                               for k, v in fixed.items()))
    lines.append(f"**Target:** accuracy ≥ {sweep.target:.0%} (on the test split when a run has one, otherwise "
                 "its best validation accuracy)")
    return lines


def reach_figure(sweep: sweeps.Sweep) -> go.Figure:
    points = sweeps.reach_over_epochs(sweep.records, sweep.target)
    fig = go.Figure(go.Scatter(x=[e for e, _ in points], y=[n for _, n in points], mode="lines+markers",
                               line_shape="hv", name="runs at target",
                               hovertemplate="epoch %{x:.3g}: %{y} run(s)<extra></extra>"))
    fig.add_hline(y=len(sweep.records), line_dash="dot", line_color=MISSED,
                  annotation_text=f"{len(sweep.records)} finished", annotation_position="top left")
    return figures.chart_layout(fig, f"Runs whose validation accuracy reached {sweep.target:.0%}, by epoch",
                                xaxis_title="epoch", yaxis_title="runs",
                                yaxis_range=[0, max(len(sweep.records), 1) * 1.08],
                                yaxis_dtick=max(1, math.ceil(len(sweep.records) / 6)))


def param_figure(sweep: sweeps.Sweep, name: str) -> go.Figure:
    """Best validation accuracy of each run against its value of the grid field `name`."""
    points = sweeps.accuracy_by_param(sweep.records, name)
    numeric = all(isinstance(p["value"], (int, float)) and not isinstance(p["value"], bool) for p in points)
    fig = go.Figure()
    for reached, colour, label in ((True, REACHED, "reached the target"), (False, MISSED, "did not")):
        group = [p for p in points if p["reached"] is reached]
        fig.add_trace(go.Scatter(
            x=[p["value"] if numeric else escape.html(value_text(p["value"])) for p in group],
            y=[p["accuracy"] for p in group], mode="markers", name=label,
            marker={"color": colour, "size": 9, "opacity": 0.8, "line": {"width": 1, "color": "white"}},
            text=[escape.html(f"{p['id']} (seed {p['seed']})") for p in group],
            hovertemplate="%{text}<br>%{x}: best validation accuracy %{y:.1%}<extra></extra>"))
    values = [p["value"] for p in points]
    log = numeric and values and min(values) > 0 and max(values) / min(values) >= 10  # lr, ε: powers of ten
    fig.update_xaxes(type="log" if log else ("linear" if numeric else "category"))
    return figures.chart_layout(fig, f"Best validation accuracy by {escape.html(name)}", xaxis_title=escape.html(name),
                                yaxis_range=[0, 1.04], yaxis_tickformat=".0%", legend={"orientation": "h", "y": -0.3})


def curves_figure(sweep: sweeps.Sweep) -> go.Figure:
    """Every run's validation curve over epochs, green when the run reached the target."""
    fig = go.Figure()
    shown = set()
    for record in sweep.records[:MAX_CURVES]:
        reached = record.get("reached_target") is True
        label = "reached the target" if reached else "did not"
        fig.add_trace(go.Scatter(
            x=[p[1] for p in record["curve"]], y=[p[2] for p in record["curve"]], mode="lines",
            line={"color": REACHED if reached else MISSED, "width": 1.5}, opacity=0.75,
            name=label, legendgroup=label, showlegend=label not in shown,
            text=[escape.html(record.get("id"))] * len(record["curve"]),
            hovertemplate="%{text}<br>epoch %{x:.3g}: validation accuracy %{y:.1%}<extra></extra>"))
        shown.add(label)
    first = f" (first {MAX_CURVES})" if len(sweep.records) > MAX_CURVES else ""
    return figures.chart_layout(fig, "Validation accuracy of each run" + first, xaxis_title="epoch",
                                yaxis_range=[0, 1.04], yaxis_tickformat=".0%", legend={"orientation": "h", "y": -0.3})


def summary_frame(rows: list[dict]) -> pd.DataFrame:
    """The summary rows as a table; a column of mixed or text values becomes text (shown as typed)."""
    df = pd.DataFrame(rows)
    for column in df.columns:
        if not pd.api.types.is_numeric_dtype(df[column]) or pd.api.types.is_bool_dtype(df[column]):
            df[column] = df[column].map(value_text)
    return df


def counts(sweep: sweeps.Sweep) -> None:
    a, b = st.columns(2)
    a.metric("Runs reaching the target", f"{sweep.reached} / {len(sweep.records)}",
             help="runs finished whose accuracy reached the target (test split when there is one)")
    b.metric("Runs finished", f"{len(sweep.records)} / {sweep.total}",
             help="records in the directory / the grid's runs")
    if sweep.problems:
        st.warning(f"{len(sweep.problems)} run file(s) left out, for example: {escape.md(sweep.problems[0])}")


def charts(sweep: sweeps.Sweep, key: str) -> None:
    """The figures: runs reaching the target by epoch, validation curves, accuracy by each grid field's value."""
    figures.show_row((reach_figure(sweep), f"{key}_reach", "runs-at-target"),
                     (curves_figure(sweep), f"{key}_curves", "validation-curves"))
    names = list(sweep.spec["grid"])
    for start in range(0, len(names), 2):
        for column, name in zip(st.columns(2), names[start:start + 2], strict=False):
            with column:
                figures.show(param_figure(sweep, name), f"{key}_param_{start}_{names.index(name)}",
                             clickable=False, name="accuracy-by-parameter")


def value_table(sweep: sweeps.Sweep, key: str) -> None:
    """Runs reaching the target by each hyper-parameter value, with the paper's count where it reports one (the
    paper's trainability experiment: noise on 9/216, off 1/216)."""
    rows = by_value(sweep.records, sweep.spec)
    has_paper = any(r["paper"] for r in rows)
    table = pd.DataFrame([{"hyper-parameter": r["field"], "value": value_text(r["value"]),
                           "reached the target": f"{r['reached']} / {r['runs']}",
                           **({"the paper": r["paper"] or ""} if has_paper else {}),
                           "best validation (mean)": r["best_mean"], "test (mean)": r["test_mean"]}
                          for r in rows])
    st.markdown("**Runs reaching the target, by hyper-parameter value**"
                + (" (the paper: 216 runs per condition, about 300 epochs each)" if has_paper else ""))
    st.dataframe(table, hide_index=True, key=f"{key}_by_value",
                 column_config={c: st.column_config.NumberColumn(format="percent")
                                for c in ("best validation (mean)", "test (mean)")})


def draw(sweep: sweeps.Sweep, key: str) -> None:
    st.markdown("  \n".join(spec_lines(sweep)))
    counts(sweep)
    if not sweep.records:
        st.info("No run of this sweep has finished yet: its records appear here as its runs end.")
        return
    st.markdown("**Summary** (one row per grid point)")
    table = summary_frame(sweeps.summary_rows(sweep))
    percent = {c: st.column_config.NumberColumn(format="percent") for c in table.columns
               if str(c).endswith("accuracy") and c not in sweep.spec["grid"]}
    st.dataframe(table, hide_index=True, key=f"{key}_summary", column_config=percent)
    value_table(sweep, key)
    charts(sweep, key)

"""AppTest: the Sweeps page's learning-rate figures are readable (issue 22, item 8): the log axis is ticked at the
grid's values, each written in full (before: plotly's "9 0.001 2 3 … 0.01"), and a figure of each value's mean
validation curve has a legend naming the value (before: every curve was only "reached the target" or "did not")."""

from __future__ import annotations

import json

from explorer import sweeps
from explorer.components import figures
from tests.ui.helpers import markup_problems, new_app, page
from tests.ui.test_sweeps_page import SPEC, record, shipped, write_sweep  # noqa: F401 - shipped is a fixture

LRS = [0.001, 0.003, 0.01]
RUNS = [({"lr": lr}, seed, [0.1 * (i + 1) + 0.01 * seed + lr for i in range(4)], 0.5) for lr in LRS for seed in (0, 1)]


def _charts(at) -> dict:
    return {c.key: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def test_the_log_axis_and_the_legend_name_each_value(shipped):  # noqa: F811
    write_sweep(shipped / "lr", dict(SPEC, grid={"lr": LRS}), RUNS)
    at = page(new_app(), "sweeps")
    assert not at.exception, at.exception
    charts = _charts(at)
    axis = next(c["layout"]["xaxis"] for key, c in charts.items() if "_param_" in key)
    assert axis["type"] == "log"
    assert axis["tickvals"] == LRS and axis["ticktext"] == ["0.001", "0.003", "0.01"]
    by_value = next(c for key, c in charts.items() if "_by_value_" in key)
    assert [t["name"] for t in by_value["data"]] == ["0.001", "0.003", "0.01"]
    assert all(t.get("showlegend", True) for t in by_value["data"])
    assert by_value["layout"]["legend"]["title"]["text"] == "lr"
    assert markup_problems(at) == []


def test_mean_curves_average_each_values_runs_at_each_epoch():
    records = [record(*run) for run in RUNS]
    curves = dict(sweeps.mean_curves_by_value(records, "lr"))
    assert set(curves) == set(LRS)
    want = [(e * 1.25, sum(0.1 * e + 0.01 * s + 0.003 for s in (0, 1)) / 2) for e in (1, 2, 3, 4)]
    assert [e for e, _ in curves[0.003]] == [e for e, _ in want]
    assert all(abs(a - b) < 1e-12 for (_, a), (_, b) in zip(curves[0.003], want, strict=True))


def test_many_log_values_get_one_tick_a_decade():
    import plotly.graph_objects as go

    values = [10 ** (-k / 3) for k in range(12)]  # more than MAX_LOG_TICKS values
    fig = figures.chart_layout(go.Figure(go.Scatter(x=values, y=values)).update_xaxes(type="log"), "t")
    assert fig.layout.xaxis.dtick == 1 and fig.layout.xaxis.tickvals is None

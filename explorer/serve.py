"""The app's launcher, `python -m explorer.serve [streamlit run's options]`: a server that is warm before the first
student arrives.

A plain `streamlit run streamlit_app.py` imports torch, the engine and the checkpoints only when the first page
runs, so the first student waited for them (6.2 s from the page to its first heatmap). Streamlit has no start
hook, so this process does that work first and then starts Streamlit itself: it opens the app's pages once, in
place, through Streamlit's own script runner (streamlit.testing's AppTest), which imports every module those pages
need and fills the very caches a browser's session then reads (st.cache_resource and st.cache_data are per
process): the checkpoint registry, the synthetic checkpoint the sample table picks and its answer to the sample
question, the shipped 2017 model with its calibration. Only then does it run `streamlit run streamlit_app.py` with
the options given, in this same process, so nothing is served before the models are in memory.
"""

from __future__ import annotations

import logging
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click
from streamlit import config
from streamlit.testing.v1 import AppTest
from streamlit.web import bootstrap, cli

APP = Path(__file__).resolve().parent.parent / "streamlit_app.py"
PROG = "python -m explorer.serve"
CONTEXT_LOGGER = "streamlit.runtime.scriptrunner_utils.script_run_context"
WARM_TIMEOUT_S = 300.0  # per page: a loaded 2-core machine imports torch and loads a model in well under this
# the pages opened before serving, as URL parameters: the Ask page as a new browser first sees it (the sample
# table, its question, the synthetic checkpoint that fits), then asked in plain English, which the page hands to
# the shipped 2017 model (loaded, its beam decoding and the views of its candidates run once)
WARM_VISITS: tuple[dict[str, str], ...] = ({}, {"q": "which year had the most sales?"})


def warm(visits: tuple[dict[str, str], ...] = WARM_VISITS, timeout: float = WARM_TIMEOUT_S) -> list[str]:
    """Open the app once per visit in this process, as a browser's session would; returns the uncaught exceptions
    of the pages, empty when none (what a page catches it shows as a message and logs, as for any session)."""
    problems = []
    for params in visits:
        with _quiet(CONTEXT_LOGGER):  # AppTest sets up its session outside a script run and says so: not ours
            at = AppTest.from_file(str(APP), default_timeout=timeout)
        at.query_params.update(params)
        at.run()
        where = "the Ask page" + (f" with {params}" if params else "")
        problems += [f"{where}: {e.message}" for e in at.exception]
    return problems


@contextmanager
def _quiet(name: str):
    """Warnings of the logger `name` left out while inside."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def load_config(ctx) -> None:
    """Streamlit's config as `streamlit run` reads it (the config.toml files, then the options given), read before
    the warm-up: the pages warm under the config they are served with, and Streamlit, reading it again when it
    starts, finds nothing changed (else it logs that the [server] section changed and asks for a restart)."""
    config._main_script_path = str(APP)  # as `streamlit run` sets it: the config.toml beside the app is read
    bootstrap.load_config_options({k: v for k, v in ctx.params.items() if k not in ("target", "args")})


def main(argv: list[str] | None = None) -> None:
    """Check the options (as `streamlit run` does: a bad one, or --help, is answered at once), warm the app, then
    serve it."""
    args = [str(APP), *(sys.argv[1:] if argv is None else argv)]
    try:
        ctx = cli.main_run.make_context(PROG, args)
    except click.exceptions.Exit as e:  # --help, printed
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    load_config(ctx)
    say("Warming the app before serving it: torch, the engine, the shipped checkpoints, the first pages…")
    start = time.perf_counter()
    for problem in warm():
        say(f"warning: the warm-up met an error (the app starts anyway): {problem}")
    say(f"Warm in {time.perf_counter() - start:.1f} s; starting Streamlit.")
    with ctx:
        cli.main_run.invoke(ctx)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()

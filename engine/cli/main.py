"""Command line: generate data, train, evaluate, predict, ask, sweep and wtq-convert (`python -m engine --help`).

It only parses arguments and calls the engine: parser.py holds every command's arguments; dispatch.py the commands
that serve both model families (the family chosen by train's flags, else by the checkpoint's header); np2016.py
and train.py the 2016 model's, wtq2017.py the 2017 model's; data.py `generate` and `wtq-convert`; sweep.py
`sweep`; common.py what they share. This module runs a command: bad input gives a one-line error on stderr, never
a traceback. Exit codes: 0 success, 1 bad input or failure, 2 usage error (an invalid setting) or training stopped
by a NaN/inf loss (the best model so far is still saved), 130 interrupted.
"""

from __future__ import annotations

import os
import sys

from engine.cli.common import CliError
from engine.cli.parser import build_parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.func(args)
    except CliError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        sys.stderr.close()  # e.g. `| head`: nothing more to say
        return 1
    except MemoryError:
        print("error: out of memory (try a smaller --batch-size or a smaller input)", file=sys.stderr)
        return 1
    except Exception as e:
        return _report(e)


def _report(e: Exception) -> int:
    """One line for any other failure: input and checkpoint errors as themselves, an OSError with its file, a
    ValueError (a limit or a value the engine refused) with its message, the rest with their type. With
    NP_DEBUG=1 everything but input and checkpoint errors raises, with its traceback."""
    examples = sys.modules.get("engine.core.io.examples")  # modules not imported cannot have raised
    checkpoint = sys.modules.get("engine.np2016.checkpoint")
    if examples is not None and isinstance(e, examples.InputError):
        message = str(e)
    elif checkpoint is not None and isinstance(e, checkpoint.CheckpointError):
        message = f"bad checkpoint: {e}"
    elif os.environ.get("NP_DEBUG"):
        raise e
    elif isinstance(e, OSError):
        message = f"{e.filename}: {e.strerror or e}" if e.filename else str(e.strerror or e)
    elif isinstance(e, ValueError):
        message = str(e)
    else:
        message = f"{type(e).__name__}: {e} (set NP_DEBUG=1 for the traceback)"
    print(f"error: {message}", file=sys.stderr)
    return 1

"""What every command of the command line shares: the one-line error, the --device check, the progress bar and the
row `predict` writes; its own module so that the command modules import it without an import circle."""

from __future__ import annotations

import sys


class CliError(Exception):
    """A user-facing error: printed as one line, exit code `code`."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def checked_device(name: str):
    """The torch.device for --device; a CliError (exit code 2, one line) for cuda on a machine without a GPU."""
    from engine.core.device import DeviceError, resolve_device

    try:
        return resolve_device(name)
    except DeviceError as e:
        raise CliError(str(e), 2) from e


def bar(**kw):
    """A tqdm progress bar on stderr (stdout stays for the command's output)."""
    from tqdm import tqdm

    return tqdm(file=sys.stderr, dynamic_ncols=True, mininterval=0.2, **kw)


def prediction_row(source: dict, program: list, **predicted) -> dict:
    """The line `predict` writes: the input example, then the prediction and the program the model ran (an input's
    own "program", the generator's template string, is kept as "program_template", not mistaken for ours)."""
    row = dict(source)
    if "program" in row:
        row["program_template"] = row.pop("program")
    return {**row, **predicted, "program": program}

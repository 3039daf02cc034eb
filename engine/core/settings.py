"""The settings machinery every model family's configs are built on (serialised as JSON in checkpoints).

Every field is declared once with `setting(...)`: its default, help, label, and range or choices. The command line
builds its flags and the app its Train widgets from `settings(cls)`, and `__post_init__` validates every value
against them, so a range or a default is never written a second time.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any, ClassVar, get_type_hints

DEVICES = ("cpu", "cuda")  # where a model may run (engine/core/device.py)

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def setting(default, help: str, *, label: str, lo: float | None = None, hi: float | None = None,
            choices: tuple | None = None, flag: str | None = None, cli: bool = True):
    """A dataclass field that carries its own documentation and limits (read back by `settings`); `flag`: the
    command-line name when it is not the field's; `cli=False`: set by the engine, not on the command line."""
    meta = {"help": help, "label": label, "lo": lo, "hi": hi, "choices": choices, "flag": flag, "cli": cli}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Setting:
    """One configuration field as the command line and the app see it."""

    name: str
    type: type  # int, float, bool, str or tuple
    default: Any
    help: str
    label: str
    lo: float | None  # inclusive bounds for numbers (None: unbounded)
    hi: float | None
    choices: tuple | None  # allowed values (for a tuple field: allowed items)
    flag: str  # command-line flag without the leading dashes, e.g. "batch-size"
    cli: bool  # whether the command line offers it

    def describe_range(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(map(str, self.choices))
        if self.lo is not None and self.hi is not None:
            return f"in [{_num(self.lo)}, {_num(self.hi)}]"
        if self.lo is not None:
            return f"at least {_num(self.lo)}"
        if self.hi is not None:
            return f"at most {_num(self.hi)}"
        return "any value"

    def parse(self, text: str):
        """The value that command-line or URL text stands for, typed like the field (ValueError if not)."""
        text = text.strip()
        if self.type is bool:
            if text.lower() not in _TRUE + _FALSE:
                raise ValueError(f"{self.name}: {text!r} is not true or false")
            return text.lower() in _TRUE
        if self.type in (int, float):
            what = "an integer" if self.type is int else "a number"
            try:
                value = self.type(text)
            except ValueError:
                raise ValueError(f"{self.name}: {text!r} is not {what}") from None
            if self.type is float and not math.isfinite(value):
                raise ValueError(f"{self.name}: {text!r} is not a finite number")
            return value
        if self.type is tuple:
            return tuple(item.strip() for item in text.split(",") if item.strip())
        return text

    def check(self, value) -> None:
        """Raise ValueError naming the field, the value and the allowed range when `value` does not fit."""
        kind = self.type
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{self.name} must be an integer, got {value!r}")
        if kind is bool and not isinstance(value, bool):
            raise ValueError(f"{self.name} must be true or false, got {value!r}")
        if kind is float and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError(f"{self.name} must be a number, got {value!r}")
        if kind is str and not isinstance(value, str):
            raise ValueError(f"{self.name} must be a string, got {value!r}")
        if kind is tuple and not (isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)):
            raise ValueError(f"{self.name} must be a list of names, got {value!r}")
        if kind in (int, float):
            # written so that NaN fails too (every comparison with NaN is false)
            if not ((self.lo is None or value >= self.lo) and (self.hi is None or value <= self.hi)):
                raise ValueError(f"{self.name} must be {self.describe_range()}, got {value!r}")
        if self.choices is not None:
            items = value if kind is tuple else (value,)
            if bad := [v for v in items if v not in self.choices]:
                raise ValueError(f"{self.name} must be {self.describe_range()}, got {bad[0]!r}")


def _num(x: float) -> str:
    """A bound as people write it: 4096, 1000000, 0.5, 1e-07."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e16 else f"{x:g}"


def settings(cls) -> list[Setting]:
    """The `Setting` record of every field of the config dataclass `cls`, in declaration order."""
    hints = get_type_hints(cls)
    out = []
    for f in fields(cls):
        hint = hints[f.name]
        kind = tuple if getattr(hint, "__origin__", hint) is tuple else hint
        out.append(Setting(f.name, kind, None if f.default is MISSING else f.default,
                           **{**f.metadata, "flag": f.metadata["flag"] or f.name.replace("_", "-")}))
    return out


def parse_options(cls, items: list[str] | None, exclude=()) -> dict:
    """`KEY=VALUE` strings -> {field: value} for the config dataclass `cls` (ValueError for a bad one); the values
    are typed here and range-checked when the config is built."""
    known = {s.name: s for s in settings(cls) if s.name not in exclude}
    out = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        key = key.strip().replace("-", "_")
        key = cls.RENAMED.get(key, key) if key not in known else key
        if not sep or key not in known:
            offered = ", ".join(sorted(known, key=str.lower))
            raise ValueError(f"expected KEY=VALUE with KEY one of: {offered}; got {item!r}")
        out[key] = known[key].parse(text)
    return out


class Settings:
    """The base of every config dataclass: values checked on creation, read from and written to a checkpoint."""

    RENAMED: ClassVar[dict[str, str]] = {}  # an old field name -> today's, read from older files and options

    def __post_init__(self):
        """Type and range of every field; ints given for float fields become floats (JSON round-trips alike)."""
        for s in settings(type(self)):
            value = getattr(self, s.name)
            s.check(value)
            if s.type is float and not isinstance(value, float):
                object.__setattr__(self, s.name, float(value))
            if s.type is tuple:
                object.__setattr__(self, s.name, tuple(value))

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict):
        """The config `data` describes; only the dataclass's own fields (or their older names) are accepted."""
        if not isinstance(data, dict):
            raise ValueError(f"{cls.__name__} must be a JSON object")
        renamed = {cls.RENAMED.get(k, k): v for k, v in data.items()}
        if len(renamed) < len(data):
            raise ValueError(f"{cls.__name__} keys name one setting twice (an old and a new name)")
        if unknown := set(renamed) - {f.name for f in fields(cls)}:
            raise ValueError(f"unknown {cls.__name__} keys: {sorted(unknown)}")
        return cls(**renamed)

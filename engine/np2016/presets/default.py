"""Our default: the Neural Programmer's architecture trained by its soft loss plus program search with a memory.

Every value not named here is the field's default in engine/np2016/config.py, which is this preset; each of its
additions to the paper is one switch, listed in docs/design.md.
"""

DESCRIPTION = ("Ours: the paper's model and loss plus a search over whole programs that remembers the ones "
               "that answered right, and a column-name match. Learns every setting in minutes.")

TRAIN: dict = {}


def model(spec) -> dict:
    """A bidirectional question RNN from five columns up; question attention at every size."""
    return {"bidirectional": spec.max_columns + spec.text_columns >= 5}

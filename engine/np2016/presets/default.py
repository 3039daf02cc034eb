"""Our default: the Neural Programmer's architecture trained by its soft loss plus program search with a memory.

Every value not named here is the field's default in engine/np2016/config.py, which is this preset. Beyond the paper
(each is one switch, listed in docs/design.md): program search over sampled, hard-executed programs with a
memory of the programs that answered right (MAPO-style); a step-dependent column-name match with name dropout
(as the 2017 model's name match); a step embedding; a variance-preserving init; a balanced lookup loss;
exact entry match for text; shuffled training letters; ordered pivots; d = 64 and lr 3e-3.
"""

DESCRIPTION = ("Ours: the paper's model and loss plus a search over whole programs that remembers the ones "
               "that answered right, and a column-name match. Learns every setting in minutes.")

TRAIN: dict = {}


def model(spec) -> dict:
    """A bidirectional question RNN from five columns up; question attention at every size."""
    return {"bidirectional": spec.max_columns + spec.text_columns >= 5}

"""Gradient descent alone, our way: the paper's defining property (one differentiable model trained by gradient
descent on the answer loss only, no program search, no memory) with our other additions and noise in the
selections.

Everything of `default` except the program search and its memory (search_samples 0): the name match with name
dropout, step embedding, variance-preserving init, balanced lookup loss, question attention, shuffled letters,
ordered pivots, exact entry match, d = 64, lr 3e-3, gradient noise η = 0.01. Added: Gumbel noise of scale 1 on the
operation and column logits of the soft selections throughout training (`selection_noise`), the best of the
ideas measured in docs/design.md ("Gradient descent alone"), none of which makes soft training reliable.
"""

from engine.np2016.presets import default

DESCRIPTION = ("Gradient descent alone, with our additions and noise in the choices: no program search. Learns "
               "the one-filter questions, and / or in about half of the runs, difference not.")

TRAIN: dict = {**default.TRAIN, "search_samples": 0, "search_memory": 0, "selection_noise": 1.0}

model = default.model

"""Gradient descent alone, our way: the paper's defining property (one differentiable model trained on the answer
loss only: no program search, no memory) with our other additions (everything of `default` but the search) and
Gumbel noise of scale 1 on the soft selections' operation and column logits (`selection_noise`), the best of the
ideas measured in docs/design.md ("Gradient descent alone"), none of which makes soft training reliable.
"""

from engine.np2016.presets import default

DESCRIPTION = ("Gradient descent alone, with our additions and noise in the choices: no program search. Learns "
               "the one-filter questions, and / or in about half of the runs, difference not.")

TRAIN: dict = {**default.TRAIN, "search_samples": 0, "search_memory": 0, "selection_noise": 1.0}

model = default.model

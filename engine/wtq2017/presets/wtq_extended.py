"""The 2017 model with the larger language (issue 21, item 4): the paper's 15 operations plus sum, average, distinct
count, difference (largest − smallest selected value) and the AND of two selections, trained with program search
(the paper's scalar loss is capped, so a sum far from its target teaches nothing without it)."""

DESCRIPTION = ("The 2017 model with sum, average, distinct count, difference and AND added to its 15 operations, "
               "trained with program search.")

TRAIN: dict = {"preset": "wtq_extended", "search_weight": 1.0}
MODEL: dict = {"ops": "extended"}

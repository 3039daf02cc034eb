"""The 2017 model with program search (issue 21): the paper's model, loss and settings, plus the marginal
likelihood of the programs that answer each training question (engine/wtq2017/search.py), found by enumeration
before training and cached beside the converted data."""

DESCRIPTION = ("The 2017 model trained with program search: the paper's loss plus the likelihood of the programs "
               "found to answer each training question.")

TRAIN: dict = {"preset": "wtq_search", "search_weight": 1.0}
MODEL: dict = {}

"""The 2017 paper's settings for WikiTableQuestions (spec §6.2, TF flags), as they are: the defaults of
engine.wtq2017.config (d 256, T 4, batch 20, 100,001 steps with the best dev model kept). Gradient descent only."""

DESCRIPTION = ("The 2017 paper's settings on real tables (WikiTableQuestions): hidden size 256, 4 steps, "
               "gradient descent only, the best dev model kept.")

TRAIN: dict = {"preset": "wtq2017"}  # otherwise TrainConfig's defaults, which are the paper's
MODEL: dict = {}  # engine.wtq2017.config.ModelConfig's defaults are the paper's

"""The 2017 paper's settings for WikiTableQuestions (spec §6.2, TF flags), as they are: d 256, T 4, batch 20,
Adam lr 1e-3 eps 1e-6, clipping at 1, weight decay 1e-4, dropout keep 0.8, recurrent and word keep 0.9,
word cutoff 10, 100,001 steps with the best dev model kept. Gradient descent only."""

DESCRIPTION = ("The 2017 paper's settings on real tables (WikiTableQuestions): hidden size 256, 4 steps, "
               "gradient descent only, the best dev model kept.")

TRAIN: dict = {"preset": "wtq2017"}  # otherwise TrainConfig's defaults, which are the paper's
MODEL: dict = {}  # engine.wtq2017.config.ModelConfig's defaults are the paper's

"""The paper's 2017 recipe at half the width, for a 2-core CPU: d 128 instead of 256 trains about twice as many
examples per second (benchmarks/wtq_throughput.py), so a two-hour budget sees about twice the epochs. Every
other setting is wtq2017's. Gradient descent only."""

DESCRIPTION = ("The 2017 recipe at hidden size 128: about twice as fast per example on a CPU, everything else "
               "as the paper.")

TRAIN: dict = {"preset": "wtq_small"}
MODEL: dict = {"d": 128}

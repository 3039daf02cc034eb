"""The 2016 paper and nothing else (spec §2, §5.1, §6.1, §7): gradient descent through soft execution with the
paper's loss, init, d, Adam, ε and clipping (both from the paper's grids, spec §6.1), gradient noise (γ = 0.55,
after clipping) and learned text_match (spec §2.9); none of our additions, and the paper's Table 4 data.
"""

DESCRIPTION = ("The 2016 paper's own method: gradient descent through soft execution, nothing added. "
               "Learns the one-filter questions and usually gets stuck on and / or and difference.")

TRAIN: dict = {
    "lr": 1e-3, "adam_eps": 1e-6, "clip": 1.0, "grad_noise": True, "noise_eta": 1.0,
    "huber_delta": 10.0, "lookup_weight": 50.0, "soft_loss": True,
    "search_samples": 0, "search_memory": 0, "balanced_lookup": False, "name_dropout": 0.0,
    "shuffle_letters": False, "ordered_pivots": False, "lone_column_name": False,
}


def model(spec) -> dict:
    """The paper's bidirectional RNN for five columns and more, question attention for ten (spec §2.2, §8.1)."""
    return {"d": 256, "init_scale": 0.1, "name_match": False, "step_embedding": False,
            "product_logic": False, "text_match": "learned",
            "bidirectional": spec.max_columns + spec.text_columns >= 5,
            "question_attention": spec.max_columns >= 10}

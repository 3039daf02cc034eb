"""`evaluate --help` and `predict --help` describe both model families: each command takes a 2016 or a 2017
(WikiTableQuestions) checkpoint, told apart by its header, and behaves differently for each."""

import pytest

from engine.cli import main as cli


def help_text(capsys, command: str) -> str:
    """The command's --help output, its whitespace collapsed: argparse wraps lines wherever the width falls."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    return " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_help_names_both_model_families(capsys, command):
    text = help_text(capsys, command)
    for words in ("2016 model", "2017 model", "WikiTableQuestions", "header"):
        assert words in text, f"{command} --help does not mention {words!r}"


def test_evaluate_help_says_how_each_family_is_scored(capsys):
    text = help_text(capsys, "evaluate")
    assert "accuracy as the paper counts it" in text  # 2016
    assert "per template" in text
    assert "WikiTableQuestions' rules" in text  # 2017
    assert "'target'" in text


def test_predict_help_says_what_each_family_writes(capsys):
    text = help_text(capsys, "predict")
    assert "'prediction'" in text  # 2016
    assert "'denotation'" in text and "'program'" in text  # 2017
    assert "never reads 'target' or 'answer'" in text
    assert "program_template" in text  # both: the generator's template string is kept

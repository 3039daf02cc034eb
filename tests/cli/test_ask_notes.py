"""`ask --json` keeps the table reader's notes (renamed columns, ...) under "warnings" for both model families:
the 2016 trace always had them; the 2017 one dropped them (issue 20, item 5)."""

from __future__ import annotations

import json
from pathlib import Path

from engine.cli.main import main

CHECKPOINTS = Path(__file__).resolve().parents[2] / "checkpoints"  # both files are tracked in git
FAMILIES = {"2016": CHECKPOINTS / "single-column.safetensors", "2017": CHECKPOINTS / "wtq2017.safetensors"}
# a repeated and a blank column name: the CSV reader renames both and says so
TABLE = "Team,Team,\nGreystones,1,x\nConfey,3,y\n"
NOTES = ["the column name 'Team' was used twice; the second one is 'Team 2' now",
         "column 3 had no name; it is called 'column 3' now"]


def ask_json(capsys, checkpoint: Path, table: Path) -> dict:
    code = main(["ask", "--json", "--checkpoint", str(checkpoint), "--table", str(table), "sum team 2"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_both_families_keep_the_table_notes_under_warnings(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_text(TABLE)
    asked = {family: ask_json(capsys, checkpoint, table) for family, checkpoint in FAMILIES.items()}
    # the 2016 trace adds its own warnings (words it does not know, ...) after the table's notes
    assert asked["2016"]["warnings"][:len(NOTES)] == NOTES
    # then the 2017 trace's own: "sum" asks for an operation its language lacks (engine/wtq2017/language.py)
    assert asked["2017"]["warnings"][:len(NOTES)] == NOTES and "no sum operation" in asked["2017"]["warnings"][-1]
    assert asked["2017"]["columns"] == ["Team", "Team 2", "column 3"]


def test_the_2017_text_answer_prints_the_notes(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_text(TABLE)
    assert main(["ask", "--checkpoint", str(FAMILIES["2017"]), "--table", str(table), "sum team 2"]) == 0
    out = capsys.readouterr().out
    assert all(f"warning: {note}" in out for note in NOTES)

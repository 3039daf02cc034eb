"""The WikiTableQuestions tables among the sample tables: labels, source (the dataset's table path), licence
and plain-English questions. Copied from WikiTableQuestions 1.0.2 (Pasupat & Liang 2015, from Wikipedia,
CC BY-SA 4.0) with their cell text unchanged; sample_tables/README.md gives the attribution in full.

`LESSON_QUESTIONS` are questions of the 2017 paper's induced programs (P17 Table 2, spec §8.6), each asked of one
of these tables, with the paper's program and the dataset's answer (the model's own answer is never stored).
"""

from __future__ import annotations

from dataclasses import dataclass

LICENCE = "CC BY-SA 4.0"
DATASET = "WikiTableQuestions 1.0.2 (Pasupat & Liang, ACL 2015)"


@dataclass(frozen=True)
class WtqSample:
    label: str  # what the sample-table picker shows
    path: str  # the table's path inside the dataset (its page/…json names the Wikipedia article)
    split: str  # which random-split-1 part the dataset's questions about it are in
    questions: tuple[str, ...]  # suggested plain-English questions (the first is the paper's, where it has one)


SAMPLES = {
    "wtq_medal_table": WtqSample(
        "Medal table (Wikipedia, CC BY-SA)", "csv/204-csv/302.csv", "dev",
        ("who had more silver medals, cuba or brazil?", "which nation won the most bronze medals?",
         "how many nations won more than 2 gold medals?")),
    "wtq_race_results": WtqSample(
        "Race results, 2007 Grand Prix (Wikipedia, CC BY-SA)", "csv/203-csv/761.csv", "train",
        ("what is the total number of teams?", "which driver scored the most points?",
         "how many drivers earned at least 20 points?")),
    "wtq_basketball_season": WtqSample(
        "Basketball season schedule (Wikipedia, CC BY-SA)", "csv/204-csv/168.csv", "dev",
        ("how many games had more than 1,500 in attendance?", "which opponent is listed last?",
         "how many games were played in daytona beach?")),
    "wtq_highway_sections": WtqSample(
        "Highway sections by kilometre (Wikipedia, CC BY-SA)", "csv/203-csv/108.csv", "dev",
        ("which section is longest??", "how many sections are in netanya?",
         "which location comes after kfar yona?")),
    "wtq_drug_policy_directors": WtqSample(
        "Directors and their terms of office (Wikipedia, CC BY-SA)", "csv/203-csv/376.csv", "dev",
        ("who was the next appointed director after lee p. brown?", "who was the first director?",
         "how many directors served under george w. bush?")),
}


@dataclass(frozen=True)
class LessonQuestion:
    sample: str  # a key of SAMPLES
    question: str
    paper_program: tuple[str, str, str, str]  # P17 Table 2's four steps ("-": reset / no operation)
    answer: tuple[str, ...]  # the dataset's answer to the question (targetValue)
    note: str  # what to look for, in the lesson's words


LESSON_QUESTIONS = (
    LessonQuestion("wtq_race_results", "what is the total number of teams?", ("-", "-", "-", "count"), ("9",),
                   "The paper's program counts every row: right on a table with one row per team. Here every "
                   "row is a driver and several drivers share a team, so that program would say 17, not 9: a "
                   "program can be right on one table and wrong on another."),
    LessonQuestion("wtq_basketball_season", "how many games had more than 1,500 in attendance?",
                   ("-", "-", "≥ (Attendance)", "count"), ("12",),
                   "A comparison with the number of the question as its pivot, then a count: the shape of the "
                   "synthetic questions, in English."),
    LessonQuestion("wtq_highway_sections", "which section is longest??",
                   ("-", "-", "argmax (Kilometers)", "print (Name)"), ("IDF checkpoint",),
                   "A superlative: argmax on a number column, then print another column of that row. The paper's "
                   "program reads “longest” as “largest kilometre mark”, which gives the right answer on this table."),
    LessonQuestion("wtq_medal_table", "who had more silver medals, cuba or brazil?",
                   ("argmax (Nation)", "select (Nation)", "argmax (Silver)", "print (Nation)"), ("Cuba",),
                   "Entry match: “cuba” and “brazil” are cells of the Nation column, so select keeps those two "
                   "rows; argmax on Silver keeps the one with more; print names it. The first step does nothing "
                   "useful: programs are not always minimal."),
    LessonQuestion("wtq_drug_policy_directors", "who was the next appointed director after lee p. brown?",
                   ("select (Name)", "next", "last", "print (Name)"), ("Barry McCaffrey",),
                   "select finds Lee P. Brown's row, next moves one row down, print names that director. "
                   "The paper notes that such a program is only right when select matches exactly one row."),
)


def is_wtq(sample_id: str | None) -> bool:
    return sample_id in SAMPLES


def titles() -> dict[str, str]:
    """Sample id -> label, for explorer.tables' sample list."""
    return {sample_id: s.label for sample_id, s in SAMPLES.items()}


def suggested_questions(sample_id: str) -> list[str]:
    """Plain-English questions to ask about a WTQ sample table ([] for any other table)."""
    sample = SAMPLES.get(sample_id)
    return list(sample.questions) if sample else []


def source_markdown(sample_id: str) -> str:
    """Where a WTQ sample table comes from and its licence, as markdown ("" for any other table). Only our own
    constant text goes in, so nothing needs escaping; no address either (markdown would make it a link: the
    addresses are in sample_tables/README.md)."""
    sample = SAMPLES.get(sample_id)
    if sample is None:
        return ""
    return (f"Source: a table of a Wikipedia article, from {DATASET}, table `{sample.path}` (the dataset's "
            f"`page/` metadata names the article). Licence: {LICENCE}; cell text unchanged "
            f"(sample_tables/README.md says more).")

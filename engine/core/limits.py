"""Every size limit on user input, in one table (README "Limits" lists them; messages quote the values).

Limits are checked before anything large is allocated: while a file is read, before a batch is
padded, before a checkpoint's model is built. Raise a limit here, never at a call site.
"""

from __future__ import annotations

# tables (CSV files and the tables inside JSONL examples)
TABLE_MAX_BYTES = 20 * 1024 * 1024  # a CSV file given to the command line
TABLE_MAX_ROWS = 100_000
TABLE_MAX_COLUMNS = 100
TABLE_MAX_CELLS = 200_000  # rows x columns of one table
CELL_MAX_CHARS = 1_000
NAME_MAX_CHARS = 200  # a column name

# the app's uploads are smaller: a table there is drawn, edited and carried in links
APP_TABLE_MAX_BYTES = 1_000_000
APP_TABLE_MAX_ROWS = 500
APP_TABLE_MAX_COLUMNS = 20
APP_NAME_MAX_CHARS = 40  # longer column names are cut (with a note): they label narrow table columns

# questions
QUESTION_MAX_CHARS = 2_000
QUESTION_MAX_NUMBERS = 32  # numbers in one question (the pivots every cell is compared with)

# JSONL files (read a line at a time, so the file itself may be long)
JSONL_LINE_MAX_BYTES = 16 * 1024 * 1024
JSON_MAX_DEPTH = 32  # nesting of arrays/objects in one line (JSON's parser recurses)
NUMBER_MAX_ABS = 1e300  # larger numbers (or 400-digit integers) are refused rather than turned into inf

# batches: padded cells (B x M x C) of one encoded batch, and its cells x question numbers (B x M x C x N)
# and columns x question words (B x C x Q, the name matches). At these values an answering (float64) batch
# peaks near 600 MB RSS in evaluate_examples, torch included (measured with /usr/bin/time -v)
BATCH_MAX_CELLS = 4_000_000
BATCH_MAX_COMPARISONS = 32_000_000

# predict reads this much of a JSONL file ahead before predicting: a hard pass holds about 200 bytes per
# padded cell, so a chunk of a million cells keeps predict near 500 MB however long the file
PREDICT_CHUNK_EXAMPLES = 2000
PREDICT_CHUNK_CELLS = 1_000_000

# the app's custom training set (Teach / JSONL upload)
CUSTOM_MAX_EXAMPLES = 500
CUSTOM_MAX_BYTES = 5 * 1024 * 1024

# `train --data` and `--dev` (the 2017 model): examples read into memory (WTQ: 10,099 + 2,831, about 58 MB)
DATA_MAX_EXAMPLES = 200_000
DATA_MAX_BYTES = 2 * 1024 * 1024 * 1024

# checkpoint files (.safetensors): checked from the header before any tensor is read or model built
CHECKPOINT_MAX_BYTES = 200 * 1024 * 1024
CHECKPOINT_HEADER_MAX_BYTES = 4 * 1024 * 1024
CHECKPOINT_HEADER_MAX_DEPTH = 8  # a valid header nests 3 deep (header -> tensor entry -> shape)

# the app's training runs: a run whose estimated peak memory (engine/np2016/memory_estimate.py) is over this is refused
# before it starts, so the two runs a server allows fit a 4 GB classroom server beside the app itself
# (NPX_RUN_MEMORY_MB overrides it for a larger server)
RUN_MEMORY_MB = 1500

#!/usr/bin/env bash
# Train the shipped checkpoints (checkpoints/*.safetensors) on this 2-core CPU, two at a time: every task with
# the default preset, and the paper's own method (preset paper2016) on single column, the better of two seeds
# by validation accuracy. Model selection reads only validation sets drawn from the training distribution.
# Usage: benchmarks/train_shipped.sh [steps] [task ...]   (logs in runs/logs/)
set -u
cd "$(dirname "$0")/.."
STEPS=${1:-10000}
PAPER_STEPS=${PAPER_STEPS:-5000}
shift || true
TASKS=("${@:-single-column words-1 text-2 columns-3 words-5 columns-5 text-5 columns-10 names-5}")
read -r -a TASKS <<< "${TASKS[*]}"
mkdir -p runs/logs runs/paper2016 checkpoints
run() {
  /usr/bin/time -f "%e s wall" .venv/bin/python -m engine train --task "$1" --steps "$STEPS" --seed 0 \
    --output "checkpoints/$1.safetensors" > "runs/logs/$1.log" 2>&1
}
paper() {  # seed $1 of the paper's method, kept in runs/ until the better one is chosen
  .venv/bin/python -m engine train --task single-column --preset paper2016 --steps "$PAPER_STEPS" --seed "$1" \
    --target-accuracy 0 --output "runs/paper2016/seed$1.safetensors" > "runs/logs/paper2016-seed$1.log" 2>&1
}
# two lanes: tasks at even positions in one, odd in the other; then one paper seed in each
lane() { local i; for ((i = $1; i < ${#TASKS[@]}; i += 2)); do run "${TASKS[$i]}"; done; paper "$1"; }
lane 0 &
lane 1 &
wait
best=$(.venv/bin/python - <<'PY'
from engine.checkpoint import read_checkpoint_info
runs = [f"runs/paper2016/seed{s}.safetensors" for s in (0, 1)]
print(max(runs, key=lambda p: read_checkpoint_info(p)["valid_accuracy"] or -1))
PY
)
cp "$best" checkpoints/paper2016-single-column.safetensors
echo "paper2016-single-column: $best"

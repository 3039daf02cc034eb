#!/usr/bin/env bash
# Train the shipped checkpoints (checkpoints/*.safetensors) on this 2-core CPU, two tasks at a time.
# Usage: benchmarks/train_shipped.sh [steps] [task ...]   (logs in runs/logs/)
set -u
cd "$(dirname "$0")/.."
STEPS=${1:-10000}
shift || true
TASKS=("${@:-single-column words-1 text-2 columns-3 words-5 columns-5 text-5 columns-10 names-5}")
read -r -a TASKS <<< "${TASKS[*]}"
mkdir -p runs/logs checkpoints
run() {
  /usr/bin/time -f "%e s wall" .venv/bin/python -m engine train --task "$1" --steps "$STEPS" --seed 0 \
    --output "checkpoints/$1.safetensors" > "runs/logs/$1.log" 2>&1
}
# two lanes: tasks at even positions in one, odd in the other
lane() { local i; for ((i = $1; i < ${#TASKS[@]}; i += 2)); do run "${TASKS[$i]}"; done; }
lane 0 &
lane 1 &
wait

#!/usr/bin/env bash
# Trains memory encoders on a lent accelerator machine, one process per config, side by side on one GPU.
# The LM travels in two parts (mac/lm_pack.py): an earlier call left part 0 in /tmp/lmstash, this one
# carries part 1 in .device/lm2 and the data in .device/data. Results land in $OUT/<name>.{pt,jsonl}.
#   scripts/device/train-memory.sh MINUTES CONFIG...
set -euo pipefail
export PYTHONUNBUFFERED=1
minutes="$1"; shift
mkdir -p .device/lm-run
cp /tmp/lmstash/* .device/lm-run/
cp .device/lm2/* .device/lm-run/
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 -c "import torch, tokenizers; print('torch', torch.__version__, 'tokenizers', tokenizers.__version__)"
pids=()
for config in "$@"; do
  name="$(basename "$config" .json)"
  python3 -m mac.train_memory "$config" --lm_dir .device/lm-run --out "${OUT:-runs/memory}/$name" --max_minutes "$minutes" \
    > >(sed "s/^/[$name] /" >> "${OUT:-runs/memory}/stdout.log") 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
tail -n 5 "${OUT:-runs/memory}"/*.jsonl
exit $status

#!/usr/bin/env bash
# Trains memory encoders on a lent accelerator machine, one process per config, side by side on one GPU.
# What travels to such a machine is limited (64 MiB a call), so the LM goes in two parts (mac/lm_pack.py):
#   here:   scripts/python.sh -m mac.lm_pack pack .device/lm
#           mkdir -p .device/lm1 .device/lm2 .device/data; mv .device/lm/lm-part-1.pt .device/lm2/; mv .device/lm/* .device/lm1/
#           gzip -c <squad>/squad-1.1-train-full.jsonl > .device/data/squad-1.1-train-full.jsonl.gz  (and squad-1.1-train)
#   call 1: carry .device/lm1, run `mkdir -p /tmp/lmstash && cp .device/lm1/* /tmp/lmstash/` (a run's init_from
#           checkpoint goes there too); call 2, while the machine is still warm: carry .device/lm2 and .device/data,
#           run this script. Results land in $OUT/<name>.{pt,jsonl} and $OUT/stdout.log.
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
  init=()
  grep -q '"init_from"' "$config" && init=(--init_from /tmp/lmstash/init.pt)
  python3 -m mac.train "$config" --lm_dir .device/lm-run --out "${OUT:-runs/memory}/$name" --max_minutes "$minutes" \
    --train .device/data/squad-1.1-train-full.jsonl.gz --probe .device/data/squad-1.1-train.jsonl.gz "${init[@]}" \
    > >(sed "s/^/[$name] /" >> "${OUT:-runs/memory}/stdout.log") 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
tail -n 5 "${OUT:-runs/memory}"/*.jsonl
exit $status

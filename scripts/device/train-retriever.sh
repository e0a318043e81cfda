#!/usr/bin/env bash
# Fine-tunes the retrieval encoder (mac/retriever.py) on a lent accelerator machine and brings it back.
# What travels is limited to 64 MiB a call, and the tree alone is about 50 MiB (weights/ and results/), while
# .device/retriever (fp16 weights 45 MB + data 9 MB) is 54 MiB. `prepare` therefore also takes weights/ and
# results/ out of git's index for the call (and ignores them in .git/info/exclude); `restore` puts them back.
#   here:   scripts/device/train-retriever.sh prepare
#   there:  device run, carry [".device/retriever"], timeout_s 540, command e.g.
#           bash scripts/device/train-retriever.sh train 5 --epochs 2 --batch 128 --lr 2e-5
#           (MINUTES first: training stops by then; the weights come back in 15 MB parts under $OUT)
#   here:   scripts/device/train-retriever.sh restore
#           scripts/python.sh -m mac.retriever finish --parts FILES_AT --run runs/retriever   # -> runs/retriever/model
set -euo pipefail
cd "$(dirname "$0")/../.."
command="${1:-}"
shift || true
exclude=.git/info/exclude
case "$command" in
  prepare)
    [ -f .device/retriever/data.json.gz ] || scripts/python.sh -m mac.retriever prepare
    git rm -r -q --cached weights results
    mkdir -p .git/info
    printf '/weights/\n/results/\n' >> "$exclude"
    tree=$(git ls-files -co --exclude-standard -z | xargs -0 cat | wc -c)
    carried=$(du -sb .device/retriever | cut -f1)
    echo "travels: tree $((tree >> 20)) MiB + .device/retriever $((carried >> 20)) MiB (limit 64 MiB)"
    [ $((tree + carried)) -lt $((64 << 20)) ] || { echo "over the device machine's 64 MiB" >&2; exit 1; }
    echo "run \`$0 restore\` after the call"
    ;;
  restore)
    git reset -q -- weights results
    sed -i '\#^/weights/$#d; \#^/results/$#d' "$exclude"
    git status --short
    ;;
  train)
    minutes="$1"
    shift
    export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=true PYTHONPATH="$PWD"
    out="${OUT:-runs/retriever-device}"
    work="$(mktemp -d)"
    mkdir -p "$out"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
    python3 -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__, 'cuda', torch.cuda.is_available())"
    python3 -m mac.retriever train --data .device/retriever --run "$work" --device cuda --bf16 --minutes "$minutes" "$@" 2>&1 | tee "$out/train.log"
    cp "$work/train.jsonl" "$work/training.json" "$out/"
    split -b 15M -d "$work/model-fp16.safetensors" "$out/model-fp16.safetensors.part-"
    ls -la "$out"
    ;;
  *)
    echo "usage: $0 prepare | train MINUTES [mac.retriever train options] | restore" >&2
    exit 2
    ;;
esac

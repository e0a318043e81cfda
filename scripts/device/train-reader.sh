#!/usr/bin/env bash
# Trains the reader (mac/reader.py) on a lent accelerator machine, from the installed reader, and brings it back.
# What travels is limited to 64 MiB a call: the tree (the reader in it, which `from-onnx` turns back into a model
# to train) and .device/reader (the tokenizer and the gzipped training set, 7 MiB). With the reader's word-embedding
# table in 8 bits (34 MB, 34th session) the tree is 50 MiB and the two fit in one call (57 MiB); `prepare` checks.
#   here:   scripts/device/train-reader.sh prepare
#   there:  device run, carry [".device/reader"], timeout_s 600, command e.g.
#           scripts/device/train-reader.sh train 8 --steps 12000 --batch 32 --lr 5e-5 --deleted-share 0.25 --seed 8 --workers 8
#           (MINUTES first: training stops by then, its learning rate decayed to that end, and the model still comes
#           back, in 15 MB parts under $OUT; the installed reader's first call: 12,000 steps in 7.0 minutes on an H200)
#   here:   scripts/device/train-reader.sh finish FILES_AT runs/reader-device   # -> model/, reader-minilm.onnx
# Then it is measured like any reader (mac/reader.py's docstring, docs/experiments.md), under a rule written first.
set -euo pipefail
cd "$(dirname "$0")/../.."
command="${1:-}"
shift || true
case "$command" in
  prepare)
    mkdir -p .device/reader/minilm
    minilm="$(scripts/python.sh -c 'from mac.base_models import minilm_dir; print(minilm_dir())')"
    cp "$minilm"/{config.json,tokenizer.json,tokenizer_config.json,special_tokens_map.json,vocab.txt} .device/reader/minilm/
    squad="$(scripts/python.sh -c 'from mac.data import squad_dir; print(squad_dir())')"
    gzip -c "$squad/squad-1.1-train-full.jsonl" > .device/reader/squad-1.1-train-full.jsonl.gz
    tree=$(git ls-files -co --exclude-standard -z | xargs -0 cat | wc -c)
    carried=$(du -sb .device/reader | cut -f1)
    echo "travels: tree $((tree >> 20)) MiB + .device/reader $((carried >> 20)) MiB (limit 64 MiB)"
    [ $((tree + carried)) -lt $((64 << 20)) ] || { echo "over the device machine's 64 MiB: make room first (the data could travel in parts over two calls: ignored files stay on a warm machine)" >&2; exit 1; }
    ;;
  train)
    minutes="$1"
    shift
    export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false PYTHONPATH="$PWD" MINILM_DIR="$PWD/.device/reader/minilm" SQUAD_DIR="$PWD/.device/reader"
    out="${OUT:-runs/reader-device}"
    work="$(mktemp -d)"
    mkdir -p "$out"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
    python3 -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__, 'cuda', torch.cuda.is_available())"
    python3 -m mac.reader from-onnx --out "$work/init"
    python3 -m mac.reader train --run "$work/run" --init "$work/init" --device cuda --bf16 --minutes "$minutes" "$@" 2>&1 | tee "$out/train.log"
    python3 -m mac.reader pack --run "$work/run" --out "$work/reader-16bit.pt"
    cp "$work/run/model/training.json" "$out/"
    split -b 15M -d "$work/reader-16bit.pt" "$out/reader-16bit.pt.part-"
    ls -la "$out"
    ;;
  finish)
    files="$1" run="$2"
    mkdir -p "$run"
    cat "$files"/reader-16bit.pt.part-* > "$run/reader-16bit.pt"
    cp "$files/training.json" "$files/train.log" "$run/"
    scripts/python.sh -m mac.reader unpack --weights "$run/reader-16bit.pt" --run "$run"
    scripts/python.sh -m mac.reader export --run "$run" --out "$run/reader-minilm.onnx"
    ;;
  *)
    echo "usage: $0 prepare | train MINUTES [mac.reader train options] | finish FILES_AT RUN" >&2
    exit 2
    ;;
esac

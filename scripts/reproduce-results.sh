#!/usr/bin/env bash
# Regenerates every committed figure under results/ from the default bundle, one command after another
# (each is also runnable alone; the figures in README and results/*.md quote these exact commands).
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(scripts/python.sh -c "from mac.data import squad_dir; print(squad_dir())")
run() { echo "+ $*"; "$@"; }

# The GGUF-grid LM with the fp32 encoder (the default until the int8 encoder): every answer mode, then
# fine-tuning and retention on top of it.
run scripts/python.sh -m mac.bundle_setup --weights weights/mac-smollm2.pt --out bundles/lm-gguf --encoder-quant none
run npm run eval -- --data "$data/squad-1.1-validation.jsonl" --out results/eval-gguf-squad-1.1-validation.json \
  --bundle bundles/lm-gguf --limit 500 --modes base,mac,oracle,rag,mac_rag --threads 1 --retention-questions 0 --encode-batch 16
run npm run eval -- --data "$data/squad-1.1-validation.jsonl" --out results/eval-encfp32-squad-1.1-validation.json \
  --bundle bundles/lm-gguf --limit 500 --modes base,mac,rag,oracle,mac_rag,finetune --finetune-paragraphs 40 \
  --retention-questions 200 --encode-batch 16 --reuse results/eval-gguf-squad-1.1-validation.json
# The default bundle (GGUF-grid LM, int8 encoder), texts encoded in batches of 16 as the harness did before
# it encoded one at a time like the service. base, oracle and finetune read only the LM, which is
# unchanged, so they are reused; mac, rag, mac_rag and retention run again.
run npm run eval -- --data "$data/squad-1.1-validation.jsonl" --out results/eval-encbatch16-squad-1.1-validation.json \
  --limit 500 --modes base,mac,rag,oracle,mac_rag,finetune --finetune-paragraphs 40 --retention-questions 200 \
  --threads 1 --encode-batch 16 --reuse results/eval-encfp32-squad-1.1-validation.json
# The main run: one text per encoder call, as the service.
run npm run eval -- --data "$data/squad-1.1-validation.jsonl" --out results/eval-squad-1.1-validation.json \
  --limit 500 --modes base,mac,rag,oracle,mac_rag,finetune --finetune-paragraphs 40 --retention-questions 200 \
  --threads 2 --reuse results/eval-encbatch16-squad-1.1-validation.json
# The same networks with the fp32 LM and encoder (the default until the GGUF grid).
run scripts/python.sh -m mac.bundle_setup --weights weights/mac-smollm2.pt --out bundles/lm-fp32 --lm-quant none --encoder-quant none
run npm run eval -- --data "$data/squad-1.1-validation.jsonl" --out results/eval-fp32-squad-1.1-validation.json \
  --bundle bundles/lm-fp32 --limit 500 --modes base,mac,rag,oracle,mac_rag,finetune --finetune-paragraphs 40 --retention-questions 200 \
  --encode-batch 16
run npm run eval -- --data "$data/squad-1.1-validation.jsonl" --out results/eval-codec-fp32.json \
  --bundle bundles/lm-fp32 --limit 500 --modes mac --codec fp32 --retention-questions 0 --encode-batch 16
# Rounding the LM to a new grid instead (rtn): the same 500 questions per precision.
for variant in "int4h8 4 8" "int4 4 4" "int8 8 8"; do
  set -- $variant
  run scripts/python.sh -m mac.quantize --bundle bundles/lm-fp32 --out "bundles/lm-$1" --method rtn --layer-bits "$2" --head-bits "$3"
  run npm run eval -- --data "$data/squad-1.1-validation.jsonl" --out "results/eval-$1-squad-1.1-validation.json" \
    --bundle "bundles/lm-$1" --limit 500 --modes base,mac --threads 1 --retention-questions 0 --encode-batch 16
done
run npm run eval -- --data "$data/squad-1.1-validation.jsonl" --out results/eval-int4h8-long-squad-1.1-validation.json \
  --bundle bundles/lm-int4h8 --limit 500 --modes base,mac,rag,oracle --retention-questions 0 --encode-batch 16
run scripts/python.sh -m mac.diagnose --checkpoint weights/mac-smollm2.pt | tee results/diagnose.json
run scripts/python.sh -m mac.abstention --bundle bundles/default --out results/abstention-squad-2.0.json
run npm run bench -- --out results/bench.json --sections answer,load,decode,ingest,memory --questions 40 --load-seconds 60
run npm run bench -- --out results/bench-scale.json --sections scale --scale-n 1000000

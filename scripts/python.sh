#!/usr/bin/env bash
# Runs the project's Python (the .venv that `npm run setup` makes) with the repository on the path.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -x "$root/.venv/bin/python" ]; then
  echo "No Python environment at $root/.venv: run \`npm run setup\` first." >&2
  exit 1
fi
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec "$root/.venv/bin/python" "$@"

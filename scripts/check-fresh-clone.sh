#!/usr/bin/env bash
# Follow the README's quickstart on a fresh clone in a new directory, with no .venv:
# `make demo` then `make test`. Usage: scripts/check-fresh-clone.sh [REPO]
set -euo pipefail
repo=$(cd "${1:-$(dirname "$0")/..}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone --quiet "$repo" "$work/clone"
cd "$work/clone"
test ! -e .venv
start=$(date +%s)
make demo
echo "make demo: $(( $(date +%s) - start )) s"
ls results/kazakhstan_baseline/*/manifest.json results/interoperability_first/*/summary.png
make test
echo "fresh clone OK"

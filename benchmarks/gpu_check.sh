#!/bin/sh
# The GPU figures of docs/performance.md: run from the repository root on a machine with one CUDA GPU.
set -e
PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" exec python benchmarks/gpu_check.py --out "${1:-gpu_check.json}"

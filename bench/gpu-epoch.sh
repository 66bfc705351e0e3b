#!/usr/bin/env bash
# The GPU figure of docs/performance.md: one full Fashion-MNIST epoch at 96x96 with the recipe's settings, trained on
# CUDA device 0 in fp32 (TF32) and with bf16 autocast. Needs an NVIDIA GPU, its driver, and a NuGet feed that serves
# TorchSharp-cuda-linux (the CUDA build of TorchSharp); prints the seconds of each epoch and the test accuracy.
#   bench/gpu-epoch.sh [output-folder]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/gpu-epoch}"
mkdir -p "$out"

command -v nvidia-smi >/dev/null 2>&1 || { echo "gpu-epoch: nvidia-smi not found: this machine has no NVIDIA driver." >&2; exit 2; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader

if ! dotnet build -c Release -p:TorchBackend=cuda src/MLNet.GoogLeNet.Cli >"$out/build.log" 2>&1; then
  echo "gpu-epoch: the CUDA build failed (is TorchSharp-cuda-linux served by your NuGet feeds?); see $out/build.log" >&2
  exit 2
fi

for precision in none bf16; do
  dotnet run -c Release --no-build --project src/MLNet.GoogLeNet.Cli -- fashion-mnist --full --epochs 1 --device gpu \
    --mixed-precision "$precision" --output-dir "$out/$precision"
  python3 - "$out/$precision" "$precision" <<'PY'
import json, sys
folder, precision = sys.argv[1], sys.argv[2]
epoch = json.load(open(f"{folder}/training-metrics.json"))["epochs"][0]
evaluation = json.load(open(f"{folder}/evaluation.json"))
print(f"GPU, {precision}: one Fashion-MNIST epoch at 96x96 in {epoch['seconds']:.1f} s "
      f"({epoch['imagesPerSecond']:.0f} img/s), test accuracy {evaluation['microAccuracy']:.3f}")
PY
done

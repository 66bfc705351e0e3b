#!/usr/bin/env bash
# The measured table of docs/architectures.md: every trainable architecture on the same Fashion-MNIST images, at one
# budget (the same training images, epochs, batch size, seed and 32x32 input, the default preset), on the CPU. For each
# it reports the held-out accuracy of the saved zip on the first test images, the seconds per training epoch, the
# parameters, the zip's size and the images per second the zip serves (ML.NET + ONNX Runtime, through `evaluate`).
#   bench/architectures.sh [training-images (60000)] [epochs (2)] [test-images (10000)] [output-folder]
# Served images per second are (T - 100) / (time of evaluate on the T test images - time on 100), so that loading
# the zip and starting the process cancel out.
set -euo pipefail
cd "$(dirname "$0")/.."
limit="${1:-60000}"
epochs="${2:-2}"
tests="${3:-10000}"
out="${4:-out/architectures}"
data=/usr/share/datasets/fashion-mnist
mkdir -p "$out"
[ -f "$data/train-images-idx3-ubyte.gz" ] || { echo "architectures: no Fashion-MNIST in $data (apt-get install dataset-fashion-mnist)" >&2; exit 2; }

dotnet build -c Release src/MLNet.GoogLeNet.Cli >"$out/build.log" 2>&1 || { echo "architectures: build failed, see $out/build.log" >&2; exit 2; }
cli=(dotnet src/MLNet.GoogLeNet.Cli/bin/Release/net10.0/googlenet.dll)

seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null; end=$(date +%s.%N); echo "$end - $start" | bc -l; }

# Every architecture the library builds, from its one table (googlenet info --list).
mapfile -t architectures < <("${cli[@]}" info --list | cut -f1)
for arch in "${architectures[@]}"; do
  folder="$out/$arch"
  mkdir -p "$folder"
  "${cli[@]}" train --data "$data" --architecture "$arch" --limit "$limit" --epochs "$epochs" --image-size 32 --seed 1 \
    --no-validation --model "$folder/model.zip" >"$folder/train.log"
  "${cli[@]}" info --architecture "$arch" --image-size 32 >"$folder/info.txt"
  small=$(seconds "${cli[@]}" evaluate --model "$folder/model.zip" --data "$data" --limit 100 --report-dir "$folder/eval-100")
  full=$(seconds "${cli[@]}" evaluate --model "$folder/model.zip" --data "$data" --limit "$tests" --report-dir "$folder")
  echo "$small $full" >"$folder/evaluate-seconds.txt"
done

python3 - "$out" "$limit" "$epochs" "$tests" <<'PY'
import json, os, re, sys
out, limit, epochs, tests = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
print(f"Fashion-MNIST, {limit} training images, {epochs} epochs, 32x32, default preset, {tests} test images, CPU "
      f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end)")
print(f"| architecture | test accuracy (zip, {tests:,} images) | seconds per epoch | parameters | zip size (MB) | served images/s |")
print("|---|---|---|---|---|---|")
for arch in ["googlenet", "googlenet-bn", "inception-v3", "inception-resnet"]:
    folder = f"{out}/{arch}"
    epochs_seen = json.load(open(f"{folder}/training-metrics.json"))["epochs"]
    per_epoch = sum(e["seconds"] for e in epochs_seen) / len(epochs_seen)
    accuracy = json.load(open(f"{folder}/evaluation.json"))["microAccuracy"]
    parameters = re.search(r"parameters: ([\d,]+)", open(f"{folder}/info.txt").read()).group(1)
    size = os.path.getsize(f"{folder}/model.zip") / 1e6
    small, full = map(float, open(f"{folder}/evaluate-seconds.txt").read().split())
    served = (tests - 100) / (full - small) if full > small else float("nan")
    print(f"| {arch} | {accuracy:.3f} | {per_epoch:.0f} | {parameters} | {size:.1f} | {served:.0f} |")
PY

#!/usr/bin/env bash
# The small-folder table of docs/recipe.md: `googlenet train --data FOLDER` with nothing else (the default preset, its
# 96x96 images, 10 epochs, 1/5 of each class held out) on Model Builder-style folders of 1,500 small images in 10
# classes that bench/ImageFolders writes from two sets of real images Debian packages:
#   digits        the UCI handwritten digits, 8x8 with 17 grey levels (python3-sklearn)
#   digits-rgb    the same digits, each image with its own random figure and background colours
#   fashion       the first 1,500 Fashion-MNIST test images, 28x28 (dataset-fashion-mnist)
#   fashion-rgb   the same garments in colours of nearly equal brightness (--rgb equal-luma)
# For each it prints the channels the CLI chose, the held-out accuracy after the last epoch and at its best, the
# seconds of training until the held-out accuracy first reached 0.90, and the wall-clock time of the whole command.
#   bench/small-folders.sh [output-folder] [folder names...]    (default: all four)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/small-folders}"
shift || true
folders=("$@")
[ ${#folders[@]} -gt 0 ] || folders=(digits digits-rgb fashion fashion-rgb)
mkdir -p "$out"

dotnet build -c Release src/MLNet.GoogLeNet.Cli >"$out/build.log" 2>&1 || { echo "small-folders: build failed, see $out/build.log" >&2; exit 2; }
dotnet build -c Release bench/ImageFolders >>"$out/build.log" 2>&1 || { echo "small-folders: build failed, see $out/build.log" >&2; exit 2; }
cli=(dotnet "$PWD/src/MLNet.GoogLeNet.Cli/bin/Release/net10.0/googlenet.dll")
writer=(dotnet "$PWD/bench/ImageFolders/bin/Release/net10.0/ImageFolders.dll")

for name in "${folders[@]}"; do
  case "$name" in
    digits) source=(--source digits) ;;
    digits-rgb) source=(--source digits --rgb) ;;
    fashion) source=(--source fashion-mnist) ;;
    fashion-rgb) source=(--source fashion-mnist --rgb equal-luma) ;;
    *) echo "small-folders: unknown folder '$name' (digits, digits-rgb, fashion, fashion-rgb)" >&2; exit 2 ;;
  esac
  images="$out/$name/images"
  rm -rf "$images"
  "${writer[@]}" --out "$images" "${source[@]}" >/dev/null
  start=$(date +%s.%N)
  (cd "$out/$name" && "${cli[@]}" train --data images >train.log)
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l >"$out/$name/seconds.txt"
done

python3 - "$out" "${folders[@]}" <<'PY'
import json, os, sys
out, names = sys.argv[1], sys.argv[2:]
print(f"googlenet train --data FOLDER, defaults; CPU ({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end)")
print("| folder | channels | held-out accuracy, last epoch | best epoch | training seconds to 0.90 | whole command (min) |")
print("|---|---|---|---|---|---|")
for name in names:
    folder = f"{out}/{name}"
    epochs = json.load(open(f"{folder}/training-metrics.json"))["epochs"]
    log = open(f"{folder}/train.log").read()
    channels = 3 if "training on 3 channels" in log else 1
    accuracies = [e["testAccuracy"] for e in epochs]
    elapsed, reached = 0.0, "not reached"
    for e in epochs:
        elapsed += e["seconds"]
        if e["testAccuracy"] >= 0.90:
            reached = f"{elapsed:.0f}"
            break
    total = float(open(f"{folder}/seconds.txt").read()) / 60
    print(f"| {name} | {channels} | {accuracies[-1]:.3f} | {max(accuracies):.3f} | {reached} | {total:.1f} |")
PY

#!/usr/bin/env bash
# The side-by-side of docs/performance.md on the folders prepare.sh writes: each row trains on train/, scores test/
# (units no training image shows) and runs under /usr/bin/time -v, one after the other. Rows:
#   peer               ML.NET's own transfer route (bench/TransferPeer: ImageNet ResNet18 features + LbfgsMaximumEntropy)
#   scratch            googlenet train with the default preset, from scratch
#   frozen WEIGHTS     googlenet train --from WEIGHTS --freeze-backbone (the backbone frozen, only the head trained)
#   finetune WEIGHTS   googlenet train --from WEIGHTS (the whole network fine-tuned)
#   featurizer         after a frozen row: its model's backbone as a featurizer zip (googlenet export --featurizer), its
#                      features in TransferPeer's route in place of ResNet18's (ML.NET and ONNX Runtime only)
# googlenet rows hold out a fifth of train/ for their per-epoch accuracy with --group-by-folder (by unit), and are
# scored on test/ with googlenet evaluate. Extra googlenet options for every googlenet row go in GOOGLENET_ARGS.
#   bench/colour-images/run.sh FOLDERS OUT [ROW [WEIGHTS]]...      (default rows: peer scratch)
# e.g. bench/colour-images/run.sh out/colour-images out/colour-runs peer scratch
#      GOOGLENET_ARGS="--architecture googlenet-torchvision --image-size 112" \
#        bench/colour-images/run.sh out/colour-images out/colour-runs frozen clipart.pth finetune clipart.pth
# (--image-size 112: the size pretrain.py trains at; --architecture only says what the file's keys tell googlenet train)
# Prints one table row per run: accuracy on test/, minutes (train + evaluate), peak resident memory, and the load average.
set -euo pipefail
cd "$(dirname "$0")/../.."
folders="${1:?usage: run.sh FOLDERS OUT [ROW [WEIGHTS]]... (FOLDERS: what prepare.sh wrote)}"
out="${2:?usage: run.sh FOLDERS OUT [ROW [WEIGHTS]]...}"
shift 2
rows=("$@")
[ ${#rows[@]} -gt 0 ] || rows=(peer scratch)
[ -d "$folders/train" ] && [ -d "$folders/test" ] || { echo "run.sh: $folders/train and $folders/test not found: run bench/colour-images/prepare.sh $folders" >&2; exit 2; }
mkdir -p "$out"
read -r -a extra <<<"${GOOGLENET_ARGS:-}"

dotnet build -c Release bench/TransferPeer >"$out/build.log" 2>&1 && dotnet build -c Release src/MLNet.GoogLeNet.Cli >>"$out/build.log" 2>&1 \
  || { echo "run.sh: build failed, see $out/build.log" >&2; exit 2; }
peer=(dotnet "$PWD/bench/TransferPeer/bin/Release/net10.0/TransferPeer.dll")
cli=(dotnet "$PWD/src/MLNet.GoogLeNet.Cli/bin/Release/net10.0/googlenet.dll")

# seconds and peak MiB of a /usr/bin/time -v log
seconds() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$1"; }
peak() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }

googlenet_row() {  # name, then train options
  local name=$1; shift
  local dir="$out/$name"
  mkdir -p "$dir"
  /usr/bin/time -v "${cli[@]}" train --data "$folders/train" --group-by-folder --model "$dir/model.zip" "$@" "${extra[@]}" >"$dir/train.log" 2>"$dir/train.time"
  /usr/bin/time -v "${cli[@]}" evaluate --model "$dir/model.zip" --data "$folders/test" --report-dir "$dir" >"$dir/evaluate.log" 2>"$dir/evaluate.time"
  local accuracy minutes memory
  accuracy=$(python3 -c "import json,sys; print('%.3f' % json.load(open(sys.argv[1]))['microAccuracy'])" "$dir/evaluation.json")
  minutes=$(echo "($(seconds "$dir/train.time") + $(seconds "$dir/evaluate.time")) / 60" | bc -l)
  memory=$(( $(peak "$dir/train.time") > $(peak "$dir/evaluate.time") ? $(peak "$dir/train.time") : $(peak "$dir/evaluate.time") ))
  printf '| %s | %s | %.1f | %s | %s |\n' "$name" "$accuracy" "$minutes" "$memory" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

echo "| row | test accuracy | minutes | peak MiB | load average after |"
echo "|---|---|---|---|---|"
i=0
while [ $i -lt ${#rows[@]} ]; do
  row=${rows[$i]}; i=$((i + 1))
  case "$row" in
    peer)
      mkdir -p "$out/peer"
      /usr/bin/time -v "${peer[@]}" "$folders/train" "$folders/test" >"$out/peer/peer.log" 2>"$out/peer/peer.time"
      accuracy=$(awk '/^test accuracy/ { print $3 }' "$out/peer/peer.log")
      printf '| peer | %s | %.1f | %s | %s |\n' "$accuracy" "$(echo "$(seconds "$out/peer/peer.time") / 60" | bc -l)" "$(peak "$out/peer/peer.time")" "$(cut -d' ' -f1-3 /proc/loadavg)" ;;
    scratch) googlenet_row scratch ;;
    frozen|finetune)
      weights=${rows[$i]:-}; i=$((i + 1))
      [ -n "$weights" ] || { echo "run.sh: $row needs the weights file after it" >&2; exit 2; }
      if [ "$row" = frozen ]; then googlenet_row frozen --from "$weights" --freeze-backbone; else googlenet_row finetune --from "$weights"; fi ;;
    featurizer)
      # The frozen row's backbone as a featurizer zip, through TransferPeer's route in place of ResNet18's.
      [ -f "$out/frozen/model.zip" ] || { echo "run.sh: the featurizer row takes the frozen row's model: put a frozen row before it" >&2; exit 2; }
      mkdir -p "$out/featurizer"
      "${cli[@]}" export --model "$out/frozen/model.zip" --featurizer "$out/featurizer/featurizer.zip" >"$out/featurizer/export.log"
      /usr/bin/time -v "${peer[@]}" "$folders/train" "$folders/test" --featurizer "$out/featurizer/featurizer.zip" >"$out/featurizer/peer.log" 2>"$out/featurizer/peer.time"
      accuracy=$(awk '/^test accuracy/ { print $3 }' "$out/featurizer/peer.log")
      printf '| featurizer | %s | %.1f | %s | %s |\n' "$accuracy" "$(echo "$(seconds "$out/featurizer/peer.time") / 60" | bc -l)" "$(peak "$out/featurizer/peer.time")" "$(cut -d' ' -f1-3 /proc/loadavg)" ;;
    *) echo "run.sh: unknown row '$row' (peer, scratch, frozen WEIGHTS, finetune WEIGHTS, featurizer)" >&2; exit 2 ;;
  esac
done

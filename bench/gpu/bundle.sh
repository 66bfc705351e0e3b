#!/usr/bin/env bash
# Builds the GPU check's bundle (docs/gpu.md, "The GPU check"): one .tar.xz under 64 MiB that a GPU machine without
# .NET runs with bench/gpu/run-on-gpu.sh. It holds
#   dotnet/            the .NET runtime this machine's SDK runs (muxer, hostfxr, Microsoft.NETCore.App), no SDK;
#   app/               the check program (bench/gpu/GpuCheck), a framework-dependent linux-x64 publish built with
#                      TorchBackend=external: the library, ML.NET, ONNX Runtime, TorchSharp and its libLibTorchSharp.so,
#                      but no libtorch, which comes from the GPU machine's PyTorch;
#   data/              the first N images of each Fashion-MNIST split, as gzipped IDX files;
#   torchsharp-native/ with --torchsharp-src: TorchSharp's src/Native, to rebuild LibTorchSharp against that libtorch.
# The build runs in a copy of the sources it needs, so the repository's own obj/ folders are not restored again.
#
#   bench/gpu/bundle.sh [--data DIR] [--train N] [--test N] [--torchsharp-src DIR] [--output FILE]
#     --data            Fashion-MNIST's four IDX files (default: Debian's dataset-fashion-mnist folder)
#     --train, --test   images of each split to carry (default 20000 and 10000)
#     --torchsharp-src  a checkout of TorchSharp at the release the library references (Directory.Packages.props)
#     --output          the bundle (default out/gpu-bundle.tar.xz)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
data=/usr/share/datasets/fashion-mnist
train=20000
test=10000
torchsharp_src=""
output="$repo/out/gpu-bundle.tar.xz"
limit=$((64 * 1024 * 1024))

while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2" ;;
    --train) train="$2" ;;
    --test) test="$2" ;;
    --torchsharp-src) torchsharp_src="$2" ;;
    --output) output="$2" ;;
    *) echo "bundle: unknown option '$1' (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
  shift 2 || { echo "bundle: $1 needs a value" >&2; exit 2; }
done
for file in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -f "$data/$file" ] || [ -f "$data/$file.gz" ] || { echo "bundle: --data '$data' has no $file(.gz); install dataset-fashion-mnist or pass the folder" >&2; exit 2; }
done
if [ -n "$torchsharp_src" ] && [ ! -f "$torchsharp_src/src/Native/LibTorchSharp/THSTensor.cpp" ]; then
  echo "bundle: --torchsharp-src '$torchsharp_src' has no src/Native/LibTorchSharp/THSTensor.cpp; pass a checkout of TorchSharp" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
stage="$work/stage"
mkdir -p "$stage" "$work/src" "$(dirname "$output")"

# 1. The check program.
tar -C "$repo" --exclude=bin --exclude=obj -cf - Directory.Build.props Directory.Build.targets Directory.Packages.props global.json \
  src/MLNet.GoogLeNet src/MLNet.GoogLeNet.Serving bench/gpu/GpuCheck | tar -C "$work/src" -xf -
if ! dotnet publish "$work/src/bench/gpu/GpuCheck" -c Release -r linux-x64 --self-contained false -p:UseAppHost=false \
     -p:TorchBackend=external -o "$stage/app" >"$work/publish.log" 2>&1; then
  tail -n 30 "$work/publish.log" >&2
  echo "bundle: publishing the check program failed (above)" >&2
  exit 1
fi
[ -f "$stage/app/libLibTorchSharp.so" ] || { echo "bundle: the publish has no libLibTorchSharp.so" >&2; exit 1; }
if ls "$stage/app" | grep -q '^libtorch'; then echo "bundle: the publish holds libtorch, which the GPU machine brings" >&2; exit 1; fi
rm -f "$stage/app"/*.pdb "$stage/app"/*.dbg "$stage/app"/*.xml

# 2. The .NET runtime the program runs on: the newest Microsoft.NETCore.App of the major version it targets.
dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
major="$(sed -n 's/.*"version": "\([0-9]*\)\..*/\1/p' "$stage/app/MLNet.GoogLeNet.GpuCheck.runtimeconfig.json" | head -n 1)"
framework="$(ls -d "$dotnet_root/shared/Microsoft.NETCore.App/$major".* | sort -V | tail -n 1)"
fxr="$(ls -d "$dotnet_root/host/fxr/"* | sort -V | tail -n 1)"
mkdir -p "$stage/dotnet/shared/Microsoft.NETCore.App" "$stage/dotnet/host/fxr"
cp "$dotnet_root/dotnet" "$stage/dotnet/"
cp -r "$framework" "$stage/dotnet/shared/Microsoft.NETCore.App/"
cp -r "$fxr" "$stage/dotnet/host/fxr/"

# 3. The data: the first images of each split (the files are shuffled, so the classes stay balanced).
/usr/bin/env python3 - "$data" "$stage/data" "$train" "$test" <<'PY'
import gzip, os, struct, sys
source, target, train, test = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
os.makedirs(target)
for split, count in (("train", train), ("t10k", test)):
    for kind in ("images-idx3", "labels-idx1"):
        name = f"{split}-{kind}-ubyte"
        path = os.path.join(source, name)
        raw = open(path, "rb").read() if os.path.exists(path) else gzip.open(path + ".gz").read()
        dims = raw[3]
        shape = struct.unpack(f">{dims}I", raw[4:4 + 4 * dims])
        kept = min(count, shape[0])
        per_item = 1
        for size in shape[1:]:
            per_item *= size
        header = raw[:4] + struct.pack(f">{dims}I", kept, *shape[1:])
        body = raw[4 + 4 * dims:4 + 4 * dims + kept * per_item]
        with gzip.open(os.path.join(target, name + ".gz"), "wb", compresslevel=9) as out:
            out.write(header + body)
PY

# 4. TorchSharp's native sources, and the commit they come from.
if [ -n "$torchsharp_src" ]; then
  cp -r "$torchsharp_src/src/Native" "$stage/torchsharp-native"
  git -C "$torchsharp_src" rev-parse HEAD >"$stage/torchsharp-native/COMMIT" 2>/dev/null || echo "unknown" >"$stage/torchsharp-native/COMMIT"
fi

tar -C "$stage" -cf - . | xz -T2 -6 >"$output.tmp"
size=$(stat -c %s "$output.tmp")
if [ "$size" -gt "$limit" ]; then
  rm -f "$output.tmp"
  echo "bundle: $size bytes is over the 64 MiB a device run carries; carry fewer images (--train, --test)" >&2
  exit 1
fi
mv "$output.tmp" "$output"
echo "bundle: $output, $(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1048576 }') MiB (runtime $(basename "$framework"), $train + $test images$( [ -n "$torchsharp_src" ] && echo ", TorchSharp native sources"))"

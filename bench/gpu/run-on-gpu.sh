#!/usr/bin/env bash
# Runs the GPU check from the bundle bench/gpu/bundle.sh built (docs/gpu.md, "The GPU check"), on a machine with an
# NVIDIA GPU and PyTorch but no .NET: unpacks it, points TorchSharp at that PyTorch's libtorch, checks that the
# bundle's libLibTorchSharp.so resolves every symbol against it, and where it does not rebuilds LibTorchSharp from the
# bundle's TorchSharp sources with CMake (bench/gpu/libtorchsharp); then runs the check program on cuda:0 while
# nvidia-smi samples the GPU's memory. Everything it measures goes to OUT.
#
#   bench/gpu/run-on-gpu.sh BUNDLE OUT [--libtorch DIR] [--rehearsal]
#     --libtorch DIR  the folder of libtorch.so (default: torch/lib of python3's torch)
#     --rehearsal     run the check on the CPU (what the suite does to prove the bundle): no GPU needed, learning
#                     bounds reported only
# Exit code: the check's (0 every bound held, 1 one failed), or 3 when libLibTorchSharp.so cannot be made to resolve.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ $# -ge 2 ] || { echo "usage: $0 BUNDLE OUT [--libtorch DIR] [--rehearsal]" >&2; exit 2; }
bundle="$(readlink -f "$1")"
out="$2"
shift 2
libtorch=""
device=cuda
while [ $# -gt 0 ]; do
  case "$1" in
    --libtorch) libtorch="$2"; shift 2 ;;
    --rehearsal) device=cpu; shift ;;
    *) echo "run-on-gpu: unknown option '$1'" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out="$(readlink -f "$out")"
say() { echo "run-on-gpu: $*" | tee -a "$out/run.log"; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
xz -dc "$bundle" | tar -C "$work" -xf - || { say "cannot unpack $bundle"; exit 2; }

if [ "$device" = cuda ]; then
  nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv | tee "$out/gpu.csv"
fi
torch_dir=""
if [ -z "$libtorch" ]; then
  torch_dir="$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')" || { say "python3 has no torch; pass --libtorch"; exit 2; }
  libtorch="$torch_dir/lib"
  python3 -c 'import torch; print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, CXX11 ABI {torch.compiled_with_cxx11_abi()}")' | tee "$out/torch.txt"
fi
[ -f "$libtorch/libtorch.so" ] || { say "$libtorch has no libtorch.so"; exit 2; }

# Symbols of libLibTorchSharp.so itself (not of the libraries it loads) that the loader cannot bind against this
# libtorch. The one GCC 13 marker that an older libstdc++ lacks is left out: the library's loader handles it
# (docs/native-loading.md).
unresolved() {
  LD_LIBRARY_PATH="$libtorch" ldd -r "$1" 2>&1 | grep -F "($1)" | sed -n 's/^undefined symbol: \([^ 	]*\).*/\1/p' |
    grep -v '^_ZSt21ios_base_library_initv$' | sort -u
}
lib="$work/app/libLibTorchSharp.so"
unresolved "$lib" >"$out/unresolved-shipped.txt"
missing=$(wc -l <"$out/unresolved-shipped.txt")
say "libLibTorchSharp.so as shipped in TorchSharp 0.107: $missing unresolved symbols against $libtorch"
if [ "$missing" -gt 0 ]; then
  if [ ! -d "$work/torchsharp-native" ] || [ -z "$torch_dir" ]; then
    say "cannot rebuild LibTorchSharp: the bundle has no TorchSharp sources (bundle.sh --torchsharp-src) or libtorch is not a PyTorch install's"
    exit 3
  fi
  standard="$(grep -ho 'cxx_std_[0-9]*' "$torch_dir"/share/cmake/Caffe2/Caffe2Targets.cmake 2>/dev/null | sort -u | sed 's/cxx_std_//' | sort -n | tail -n 1)"
  abi="$(python3 -c 'import torch; print(int(torch.compiled_with_cxx11_abi()))')"
  say "rebuilding LibTorchSharp (TorchSharp $(cat "$work/torchsharp-native/COMMIT")) against $torch_dir, C++${standard:-17}, CXX11 ABI $abi"
  start=$(date +%s)
  if cmake -S "$here/libtorchsharp" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTORCH_DIR="$torch_dir" \
       -DTORCHSHARP_NATIVE="$work/torchsharp-native" -DTORCH_CXX_STANDARD="${standard:-17}" -DTORCH_CXX11_ABI="$abi" \
       >"$out/libtorchsharp-build.log" 2>&1 &&
     cmake --build "$work/build" -j "$(nproc)" -- -k 0 >>"$out/libtorchsharp-build.log" 2>&1; then
    say "built in $(( $(date +%s) - start )) s"
  else
    grep -E "error|Error" "$out/libtorchsharp-build.log" | head -n 40
    say "the LibTorchSharp build failed after $(( $(date +%s) - start )) s; see libtorchsharp-build.log"
    exit 3
  fi
  cp "$work/build/libLibTorchSharp.so" "$lib"
  unresolved "$lib" >"$out/unresolved-rebuilt.txt"
  missing=$(wc -l <"$out/unresolved-rebuilt.txt")
  say "libLibTorchSharp.so rebuilt: $missing unresolved symbols"
  [ "$missing" -eq 0 ] || exit 3
fi

sampler=""
if [ "$device" = cuda ]; then
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 250 >"$out/gpu-memory-mib.txt" 2>/dev/null &
  sampler=$!
fi
DOTNET_ROOT="$work/dotnet" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 LD_LIBRARY_PATH="$libtorch" \
  "$work/dotnet/dotnet" "$work/app/MLNet.GoogLeNet.GpuCheck.dll" --device "$device" --data "$work/data" --out "$out" 2>&1 | tee "$out/check.log"
status=${PIPESTATUS[0]}
if [ -n "$sampler" ]; then
  kill "$sampler" 2>/dev/null
  say "peak GPU memory in use (nvidia-smi, every 250 ms, the whole device): $(sort -n "$out/gpu-memory-mib.txt" | tail -n 1) MiB"
fi
say "the check exited with $status"
exit "$status"

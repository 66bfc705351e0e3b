#!/usr/bin/env python3
"""Checks that PyTorch computes MLNet.GoogLeNet's logits from its exported weights.

    python3 pytorch_interop.py --weights weights.pt --check check.pt [--width-divisor N] [--tolerance 1e-4]

--weights: a state_dict written by `googlenet export --state-dict` (or a .safetensors file from --safetensors).
--check: a torch.load-able dict with "input" (N, C, H, W) and "logits" (N, classes), the library's logits for that input.
Builds googlenet_torch.GoogLeNet for the weights, loads them strictly, scores the input in evaluation mode and prints
one JSON object with the largest absolute difference from the library's logits; exits 1 when it exceeds the tolerance."""
import argparse
import json
import struct
import sys

import torch

from googlenet_torch import GoogLeNet

SAFETENSORS_TYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "I64": torch.int64, "I32": torch.int32,
                     "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}


def load_safetensors(path):
    """The tensors of a safetensors file: an 8-byte little-endian header length, a JSON header, then the data."""
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    data = blob[8 + length:]
    state = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        dtype = SAFETENSORS_TYPES[entry["dtype"]]
        state[name] = torch.frombuffer(bytearray(data[start:end]), dtype=dtype).reshape(entry["shape"]).clone()
    return state


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", required=True)
    parser.add_argument("--check", required=True)
    parser.add_argument("--width-divisor", type=int, default=None)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    state = load_safetensors(args.weights) if args.weights.endswith(".safetensors") else torch.load(args.weights)
    net = GoogLeNet.for_state_dict(state, args.width_divisor)
    net.load_state_dict(state, strict=True)
    net.eval()
    check = torch.load(args.check)
    with torch.no_grad():
        logits = net(check["input"])
    difference = (logits - check["logits"]).abs().max().item()
    print(json.dumps({"torch": torch.__version__, "weights": args.weights, "batch": check["input"].shape[0],
                      "classes": logits.shape[1], "batch_norm": net.b1.conv.bn is not None,
                      "max_abs_difference": difference}))
    sys.exit(0 if difference <= args.tolerance else 1)


if __name__ == "__main__":
    main()

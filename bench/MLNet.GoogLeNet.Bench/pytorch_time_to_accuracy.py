#!/usr/bin/env python3
"""PyTorch peer of the benchmark's time-to-accuracy rows: trains googlenet_torch.GoogLeNet on Fashion-MNIST with the
training run of one MLNet.GoogLeNet preset, scores the weights on the test images at the same points (every
--evaluate-every batches of an epoch and at every epoch's end) with the clock stopped, and prints one JSON line.

Matched to the library (each read from its source, passed in by the bench from the options objects):
  network       GoogLeNetNetwork's layout (googlenet_torch), batch-normalised for the default preset, plain for the recipe
  initialisation  default: Kaiming uniform, bound sqrt(6 / fan_in) (fan_in mode, ReLU gain), recipe: Xavier uniform;
                  biases zero; batch-normalisation scales one and shifts zero (GoogLeNetNetwork.FillUniform)
  optimiser     torch_optimizer.py (Training/ParameterGroups.cs's two groups): default AdamW; SGD with or without
                (Nesterov) momentum; recipe: SGD without momentum or weight decay
  learning rate per step, Training/LearningRates.ForStep: warmup steps round(fraction x total steps), one-cycle rises
                along half a cosine from peak/25 to the peak on the warmup's last step, then falls along half a cosine
                towards peak/25/1e4; constant for the recipe
  loss          cross entropy with the preset's label smoothing
  augmentation  default: translation by up to floor(max_translation x side) pixels each way, a crop of the zero-padded
                batch, drawn per image (Training/BatchAugmentation.cs); recipe: none
  pixels        28x28 bytes resized bilinearly to the preset's size, scaled by 1/255 to [0, 1], no mean or deviation
  batches       the preset's batch; a partial last batch is trained; memory format channels-last (Fit's default)
  precision     the mode the library's run trained in (--precision: MixedPrecision.Auto's choice, read from its
                checkpoints): bf16 autocast around the forward pass and the loss, weights and optimiser in fp32;
                scoring in fp32 on both sides

Not matched:
  resizing      ML.NET's ResizeImages goes through its own image library; here torch's bilinear interpolation
                (align_corners=False, no antialiasing): the pixels differ slightly, not their range or size
  shuffling     ML.NET's ShuffleRows shuffles through a pool of 1,000 rows (ShufflePoolSize); here a full permutation
                per epoch
  random draws  the weights, the order and the translations come from torch's generator, not .NET's Random, so no
                run here is the library's run: the accuracy at a point varies from seed to seed on both sides
  preprocessing the images are decoded and resized before the clock starts; the library does it during its first
                epoch (then caches the pixels), inside its training time
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

from googlenet_torch import GoogLeNet
import torch_optimizer

ONE_CYCLE_START_DIVISOR, ONE_CYCLE_FINAL_DIVISOR = 25.0, 1e4  # LearningRates.OneCycleStartDivisor, OneCycleFinalDivisor


def read_idx(folder, name, limit):
    """The IDX file `name` (or `name`.gz) of `folder` as a uint8 tensor, its first `limit` items."""
    path = os.path.join(folder, name)
    opener = open if os.path.exists(path) else gzip.open
    with opener(path if os.path.exists(path) else path + ".gz", "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    values = torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)
    return values[:limit] if limit else values


def load(folder, prefix, limit, size):
    images = read_idx(folder, f"{prefix}-images-idx3-ubyte", limit).float().div_(255).unsqueeze(1)
    labels = read_idx(folder, f"{prefix}-labels-idx1-ubyte", limit).long()
    if size != images.shape[-1]:
        images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    return images.contiguous(memory_format=torch.channels_last), labels


def cosine(start, end, t):
    return end + (start - end) * 0.5 * (1 + math.cos(math.pi * t))


def rate_for_step(schedule, peak, warmup_fraction, step, total_steps):
    """LearningRates.ForStep for the constant and one-cycle schedules."""
    total_steps = max(total_steps, 1)
    step = min(max(step, 0), total_steps - 1)
    warmup = round(warmup_fraction * total_steps)  # round half to even, as .NET's Math.Round
    if step < warmup:
        rise = (step + 1) / warmup
        return cosine(peak / ONE_CYCLE_START_DIVISOR, peak, rise) if schedule == "one-cycle" else peak * rise
    progress = (step - warmup) / (total_steps - warmup)
    if schedule == "constant":
        return peak
    if schedule == "one-cycle":
        return cosine(peak, peak / ONE_CYCLE_START_DIVISOR / ONE_CYCLE_FINAL_DIVISOR, progress)
    raise ValueError(f"schedule {schedule} is not reproduced here")


def initialise(net, kind):
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            if kind == "kaiming":
                nn.init.kaiming_uniform_(m.weight, a=0, mode="fan_in", nonlinearity="relu")  # bound sqrt(6 / fan_in)
            else:
                nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def translate(batch, max_translation, generator):
    """Each image cropped from the zero-padded batch at a random offset: shifted by up to floor(max x side) pixels."""
    n, _, h, w = batch.shape
    pad_y, pad_x = math.floor(max_translation * h), math.floor(max_translation * w)
    padded = F.pad(batch, (pad_x, pad_x, pad_y, pad_y))
    tops = torch.randint(0, 2 * pad_y + 1, (n,), generator=generator).tolist()
    lefts = torch.randint(0, 2 * pad_x + 1, (n,), generator=generator).tolist()
    return torch.stack([padded[i, :, t:t + h, l:l + w] for i, (t, l) in enumerate(zip(tops, lefts))]) \
        .contiguous(memory_format=torch.channels_last)


def accuracy(net, images, labels):
    net.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(labels), 500):
            correct += (net(images[start:start + 500]).argmax(1) == labels[start:start + 500]).sum().item()
    net.train()
    return correct / len(labels)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--train-images", type=int, default=0, help="0: all")
    p.add_argument("--test-images", type=int, default=0, help="0: all")
    p.add_argument("--image-size", type=int, required=True)
    p.add_argument("--batch-norm", action="store_true")
    p.add_argument("--initialization", choices=["kaiming", "xavier"], required=True)
    p.add_argument("--optimizer", choices=["adamw", "sgd"], required=True)
    p.add_argument("--learning-rate", type=float, required=True)
    p.add_argument("--weight-decay", type=float, default=0)
    p.add_argument("--momentum", type=float, default=0)
    p.add_argument("--nesterov", action="store_true", help="SGD: Nesterov momentum")
    p.add_argument("--schedule", choices=["constant", "one-cycle"], required=True)
    p.add_argument("--warmup-fraction", type=float, default=0)
    p.add_argument("--label-smoothing", type=float, default=0)
    p.add_argument("--max-translation", type=float, default=0, help="0: no augmentation")
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--evaluate-every", type=int, required=True, help="batches between evaluation points within an epoch")
    p.add_argument("--budget-seconds", type=float, default=0, help="0: no bound on training time")
    p.add_argument("--seed", type=int, default=1, help="torch's seed: the weights, the order and the translations")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32", help="bf16: autocast the forward pass and the loss")
    p.add_argument("--device", default="cpu", help="cpu, or cuda for the recipe's own kind of machine (a GPU)")
    args = p.parse_args()

    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    device = torch.device(args.device)
    train_x, train_y = (t.to(device) for t in load(args.data, "train", args.train_images, args.image_size))
    test_x, test_y = (t.to(device) for t in load(args.data, "t10k", args.test_images, args.image_size))

    def clock():
        if device.type == "cuda":
            torch.cuda.synchronize()  # the GPU's queued work belongs to the step that queued it
        return time.perf_counter()

    net = GoogLeNet(in_channels=1, classes=10, batch_norm=args.batch_norm)
    initialise(net, args.initialization)
    net = net.to(device=device, memory_format=torch.channels_last)
    net.train()
    optimizer = torch_optimizer.optimizer(net, args.optimizer, args.learning_rate, args.weight_decay, args.momentum,
                                          args.nesterov)

    n = len(train_y)
    batches_per_epoch = (n + args.batch - 1) // args.batch
    total_steps = args.epochs * batches_per_epoch
    step, trained, points, stopped = 0, 0.0, [], False
    for epoch in range(1, args.epochs + 1):
        order = torch.randperm(n, generator=generator)
        for b in range(batches_per_epoch):
            started = clock()
            index = order[b * args.batch:(b + 1) * args.batch].to(device)
            x, y = train_x[index], train_y[index]
            if args.max_translation > 0:
                x = translate(x, args.max_translation, generator)
            rate = rate_for_step(args.schedule, args.learning_rate, args.warmup_fraction, step, total_steps)
            for group in optimizer.param_groups:
                group["lr"] = rate
            optimizer.zero_grad()
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=args.precision == "bf16"):
                loss = F.cross_entropy(net(x), y, label_smoothing=args.label_smoothing)
            loss.backward()
            optimizer.step()
            step += 1
            trained += clock() - started
            done = b + 1
            if done % args.evaluate_every == 0 or done == batches_per_epoch:
                points.append([trained, accuracy(net, test_x, test_y)])
                print(f"epoch {epoch} batch {done}: {trained:.1f} s, test accuracy {points[-1][1]:.4f}", file=sys.stderr, flush=True)
            if args.budget_seconds and trained >= args.budget_seconds:
                stopped = True  # as the library's run: no point at the stop itself
                break
        if stopped:
            break

    print(json.dumps({"torch": torch.__version__, "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
                      "seed": args.seed, "precision": args.precision, "threads": torch.get_num_threads(), "train_images": n,
                      "test_images": len(test_y), "points": points, "stopped_by_budget": stopped}))


if __name__ == "__main__":
    main()

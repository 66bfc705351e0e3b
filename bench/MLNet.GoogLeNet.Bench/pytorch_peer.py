#!/usr/bin/env python3
"""PyTorch peer of the MLNet.GoogLeNet benchmark: the recipe's GoogLeNet (1x96x96 input, 10 classes), the same
batch size, timed for training steps and for inference on tensors already in memory. Prints one JSON object."""
import argparse
import json
import os
import resource
import statistics
import time

import torch
from torch import nn


from googlenet_torch import GoogLeNet


def googlenet(classes=10):
    """The recipe's network (googlenet_torch: MLNet.GoogLeNet's module names), initialised as the recipe does."""
    net = GoogLeNet(in_channels=1, classes=classes)
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return net


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--train-steps", type=int, default=8)
    parser.add_argument("--inference-batches", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count())
    net = googlenet()
    params = sum(p.numel() for p in net.parameters())
    x = torch.rand(args.batch, 1, 96, 96)
    y = torch.randint(0, 10, (args.batch,))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    def train_rate():
        net.train()
        step()  # warm-up, as the TorchSharp measurement does
        step()
        start = time.perf_counter()
        for _ in range(args.train_steps):
            step()
        return args.train_steps * args.batch / (time.perf_counter() - start)

    train_rate_standard = train_rate()
    # The same network and batch in the channels-last memory format, PyTorch's own way.
    net = googlenet().to(memory_format=torch.channels_last)
    x = x.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    train_rate_channels_last = train_rate()
    net = googlenet()
    x = x.contiguous()

    def inference_rate():
        net.eval()
        with torch.no_grad():
            net(x)  # warm-up
            rates = []
            for _ in range(args.inference_batches):
                start = time.perf_counter()
                net(x)
                rates.append(args.batch / (time.perf_counter() - start))
        return statistics.median(rates)  # batch-to-batch noise on a shared 2-core machine is about +-15%

    inference_rate_standard = inference_rate()
    net = net.to(memory_format=torch.channels_last)
    x = x.contiguous(memory_format=torch.channels_last)
    inference_rate_channels_last = inference_rate()

    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "parameters": params,
        "train_images_per_second": train_rate_standard,
        "train_channels_last_images_per_second": train_rate_channels_last,
        "inference_images_per_second": inference_rate_standard,
        "inference_channels_last_images_per_second": inference_rate_channels_last,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()

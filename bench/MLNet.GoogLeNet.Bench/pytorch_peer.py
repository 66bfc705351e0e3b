#!/usr/bin/env python3
"""PyTorch peer of the MLNet.GoogLeNet benchmark: the recipe's GoogLeNet (1x96x96 input, 10 classes), the same
batch size, timed for training steps and for inference on tensors already in memory; and the main command's training
step (the batch-normalised network at 32x32) when --main-optimizer is given: the bench passes the main command's batch,
optimiser and label smoothing from QuickRun.FashionMnist. Prints one JSON object."""
import argparse
import json
import os
import resource
import statistics
import time

import torch
from torch import nn


from googlenet_torch import GoogLeNet
import torch_optimizer


def googlenet(classes=10):
    """The recipe's network (googlenet_torch: MLNet.GoogLeNet's module names), initialised as the recipe does."""
    net = GoogLeNet(in_channels=1, classes=classes)
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return net


def train_rate(net, optimizer, loss_fn, x, y, steps):
    """Images per second of training steps (zero_grad, forward, loss, backward, step, loss read back) on one batch."""
    def step():
        optimizer.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    net.train()
    step()  # warm-up, as the TorchSharp measurement does
    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * x.shape[0] / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--train-steps", type=int, default=8)
    parser.add_argument("--inference-batches", type=int, default=5)
    parser.add_argument("--main-batch", type=int, default=128, help="the main command's batch (QuickRun.FashionMnist)")
    parser.add_argument("--main-optimizer", choices=["adamw", "sgd"], help="the main command's optimiser; without it, no main step")
    parser.add_argument("--main-learning-rate", type=float, default=0.1)
    parser.add_argument("--main-weight-decay", type=float, default=0.0, help="on weights of more than one dimension only")
    parser.add_argument("--main-momentum", type=float, default=0.0, help="sgd only")
    parser.add_argument("--main-nesterov", action="store_true", help="sgd only")
    parser.add_argument("--main-label-smoothing", type=float, default=0.0)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count())
    net = googlenet()
    params = sum(p.numel() for p in net.parameters())
    x = torch.rand(args.batch, 1, 96, 96)
    y = torch.randint(0, 10, (args.batch,))
    loss_fn = nn.CrossEntropyLoss()

    train_rate_standard = train_rate(net, torch.optim.SGD(net.parameters(), lr=0.1), loss_fn, x, y, args.train_steps)
    # The same network and batch in the channels-last memory format, PyTorch's own way.
    net = googlenet().to(memory_format=torch.channels_last)
    train_rate_channels_last = train_rate(net, torch.optim.SGD(net.parameters(), lr=0.1), loss_fn,
                                          x.contiguous(memory_format=torch.channels_last), y, args.train_steps)
    net = googlenet()

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

    # The main command's step: the default preset's network (batch normalisation) at 32x32, its optimiser and label
    # smoothing; in both layouts.
    main_rates = {torch.contiguous_format: None, torch.channels_last: None}
    main_y = torch.randint(0, 10, (args.main_batch,))
    for layout in (main_rates if args.main_optimizer else ()):
        net = GoogLeNet(in_channels=1, classes=10, batch_norm=True).to(memory_format=layout)
        optimizer = torch_optimizer.optimizer(net, args.main_optimizer, args.main_learning_rate, args.main_weight_decay,
                                              args.main_momentum, args.main_nesterov)
        main_x = torch.rand(args.main_batch, 1, 32, 32).contiguous(memory_format=layout)
        main_rates[layout] = train_rate(net, optimizer, nn.CrossEntropyLoss(label_smoothing=args.main_label_smoothing),
                                        main_x, main_y, args.train_steps)

    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "parameters": params,
        "train_images_per_second": train_rate_standard,
        "train_channels_last_images_per_second": train_rate_channels_last,
        "inference_images_per_second": inference_rate_standard,
        "inference_channels_last_images_per_second": inference_rate_channels_last,
        "train_main_32_images_per_second": main_rates[torch.contiguous_format],
        "train_main_32_channels_last_images_per_second": main_rates[torch.channels_last],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()

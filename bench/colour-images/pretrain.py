"""Trains torchvision's GoogLeNet on the corpus prepare-pretraining.sh writes, and saves its state dict the way
torchvision publishes googlenet-1378be20.pth: torchvision's keys, the auxiliary classifiers aux1/aux2 included,
PyTorch's zip format. `googlenet train --architecture googlenet-torchvision --from FILE` then starts from it, as it
would from the ImageNet file; the side-by-side's frozen and fine-tuned rows (run.sh) use it.

    python3 bench/colour-images/pretrain.py CORPUS.npz WEIGHTS.pth [--epochs 150] [--device cuda] [--seed 1]

The network is torchvision.models.googlenet(aux_logits=True, transform_input=True, init_weights=True) with one
output per corpus class, trained as torchvision's published file expects its input: pixels in [0, 1], ImageNet's
mean and standard deviation subtracted and divided, then transform_input. Each picture (RGBA) is composed over a
background drawn per image (black half the time, as the library reads a transparent sprite; else white or a random
colour), cut by a random resized crop (scale 0.35-1, aspect 3/4-4/3) back to the corpus's size, flipped left-right
at random and its brightness, contrast and saturation moved by up to 30 %, all on the device. SGD with Nesterov
momentum 0.9, rate 0.1 x batch/256 with a linear warm-up over 3 epochs and a cosine decay, weight decay 5e-4 on
weights only, label smoothing 0.1, loss = main + 0.3 x (aux1 + aux2) as torchvision trained, bf16 autocast on a GPU.
A stratified tenth of the corpus is held out and its accuracy printed (the centred picture over black).
Writes WEIGHTS.pth and WEIGHTS.json (classes, held-out accuracy, settings, seconds, versions).
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def split(labels, fraction, rng):
    held = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        rng.shuffle(members)
        held.extend(members[: max(1, int(round(len(members) * fraction)))])
    held = np.array(sorted(held))
    return np.setdiff1d(np.arange(len(labels)), held), held


def compose(rgba, background):
    """rgba: B×4×H×W in [0, 1]; background: B×3×1×1."""
    alpha = rgba[:, 3:4]
    return rgba[:, :3] * alpha + background * (1 - alpha)


def augment(rgba, generator):
    b, device = rgba.shape[0], rgba.device
    u = lambda *shape: torch.rand(*shape, device=device, generator=generator)
    kind = u(b)
    background = torch.where((kind < 0.5).view(b, 1, 1, 1), torch.zeros(b, 3, 1, 1, device=device),
                             torch.where((kind < 0.75).view(b, 1, 1, 1), torch.ones(b, 3, 1, 1, device=device),
                                         u(b, 3, 1, 1)))
    image = compose(rgba, background)
    # random resized crop as an affine grid: area fraction s, aspect r, centre inside the picture
    s = 0.35 + 0.65 * u(b)
    r = torch.exp(math.log(3 / 4) + (math.log(4 / 3) - math.log(3 / 4)) * u(b))
    w = torch.sqrt(s * r).clamp(max=1.0)
    h = torch.sqrt(s / r).clamp(max=1.0)
    cx = (1 - w) * (2 * u(b) - 1)
    cy = (1 - h) * (2 * u(b) - 1)
    flip = torch.where(u(b) < 0.5, -1.0, 1.0)
    theta = torch.zeros(b, 2, 3, device=device)
    theta[:, 0, 0] = w * flip
    theta[:, 0, 2] = cx
    theta[:, 1, 1] = h
    theta[:, 1, 2] = cy
    grid = F.affine_grid(theta, image.shape, align_corners=False)
    image = F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=False)
    # brightness, contrast, saturation
    image = image * (0.7 + 0.6 * u(b, 1, 1, 1))
    mean = image.mean(dim=(1, 2, 3), keepdim=True)
    image = (image - mean) * (0.7 + 0.6 * u(b, 1, 1, 1)) + mean
    grey = image.mean(dim=1, keepdim=True)
    image = (image - grey) * (0.7 + 0.6 * u(b, 1, 1, 1)) + grey
    return image.clamp(0, 1)


def normalise(image):
    return (image - MEAN.to(image.device)) / STD.to(image.device)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus")
    parser.add_argument("weights")
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    data = np.load(args.corpus)
    images, labels, classes = data["images"], data["labels"], [str(c) for c in data["classes"]]
    train, held = split(labels, 0.1, rng)
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True
    pixels = torch.from_numpy(images).to(device).permute(0, 3, 1, 2).contiguous()  # uint8 N×4×H×W
    targets = torch.from_numpy(labels).to(device)

    model = torchvision.models.googlenet(weights=None, num_classes=len(classes), aux_logits=True,
                                         transform_input=True, init_weights=True).to(device)
    model = model.to(memory_format=torch.channels_last)
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    rate = 0.1 * args.batch / 256
    optimiser = torch.optim.SGD([{"params": decay, "weight_decay": 5e-4}, {"params": no_decay, "weight_decay": 0}],
                                lr=rate, momentum=0.9, nesterov=True)
    steps_per_epoch = len(train) // args.batch
    total, warmup = steps_per_epoch * args.epochs, steps_per_epoch * 3

    def rate_at(step):
        if step < warmup:
            return rate * (step + 1) / warmup
        return 0.5 * rate * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))

    generator = torch.Generator(device=device)
    generator.manual_seed(args.seed)

    def held_out_accuracy():
        model.eval()
        right = 0
        with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda):
            for start in range(0, len(held), 512):
                index = torch.from_numpy(held[start:start + 512]).to(device)
                rgba = pixels[index].float() / 255
                image = compose(rgba, torch.zeros(len(index), 3, 1, 1, device=device))
                logits = model(normalise(image).contiguous(memory_format=torch.channels_last))
                right += (logits.argmax(1) == targets[index]).sum().item()
        model.train()
        return right / len(held)

    started = time.time()
    step = 0
    model.train()
    for epoch in range(1, args.epochs + 1):
        order = torch.from_numpy(rng.permutation(train)).to(device)
        running = 0.0
        for i in range(steps_per_epoch):
            index = order[i * args.batch:(i + 1) * args.batch]
            image = augment(pixels[index].float() / 255, generator)
            for group in optimiser.param_groups:
                group["lr"] = rate_at(step)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda):
                out = model(normalise(image).contiguous(memory_format=torch.channels_last))
                y = targets[index]
                loss = sum(weight * F.cross_entropy(logits.float(), y, label_smoothing=0.1)
                           for weight, logits in ((1.0, out.logits), (0.3, out.aux_logits1), (0.3, out.aux_logits2)))
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            running += loss.item() if i == steps_per_epoch - 1 else 0.0
            step += 1
        if epoch % 10 == 0 or epoch == args.epochs:
            print(f"epoch {epoch}: loss {running:.3f}, held-out accuracy {held_out_accuracy():.3f}, "
                  f"{time.time() - started:.0f} s", flush=True)
    seconds = time.time() - started
    accuracy = held_out_accuracy()

    state = {k: v.detach().float().contiguous().cpu() if v.is_floating_point() else v.detach().cpu()
             for k, v in model.state_dict().items()}
    temporary = args.weights + ".tmp"
    torch.save(state, temporary)
    os.replace(temporary, args.weights)
    with open(os.path.splitext(args.weights)[0] + ".json", "w") as f:
        json.dump({"classes": classes, "images": int(len(labels)), "held_out": int(len(held)),
                   "held_out_accuracy": accuracy, "epochs": args.epochs, "batch": args.batch, "seed": args.seed,
                   "seconds": round(seconds, 1), "device": torch.cuda.get_device_name(0) if cuda else "cpu",
                   "torch": torch.__version__, "torchvision": torchvision.__version__}, f, indent=1)
    print(f"held-out accuracy {accuracy:.3f} on {len(held)} pictures of {len(classes)} classes after "
          f"{args.epochs} epochs, {seconds:.0f} s; wrote {args.weights}")


if __name__ == "__main__":
    main()

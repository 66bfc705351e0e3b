"""Fixtures for the torchvision GoogLeNet tests, written by torchvision itself (Debian's python3-torchvision).

write FOLDER CLASSES SIZE
    googlenet-aux1.pth and googlenet-aux0.pth: state dicts of torchvision.models.googlenet(num_classes=CLASSES,
    aux_logits=True/False, init_weights=True) with seeded random weights, batch-norm statistics gathered on random
    images and random batch-norm scales and shifts (so that every stored value changes the logits); googlenet-legacy.pth:
    the first in PyTorch's format before 1.6. expected-aux1.pt and expected-aux0.pt: random pixels in [0, 1] of
    SIZE x SIZE ("input"), and torchvision's logits ("logits") and features before fc ("features") in scoring mode
    after ImageNet's Normalize, with transform_input=True; for the first, also its InceptionAux outputs in scoring mode
    ("aux1" of inception4a's output, "aux2" of inception4d's), which torchvision computes only in training mode
    otherwise. image-0.png … image-2.png: random RGB images of SIZE x SIZE;
    expected-images.pt: the second model's logits for them after ToTensor and Normalize.
logits WEIGHTS INPUT CLASSES OUTPUT
    Loads WEIGHTS strictly into torchvision.models.googlenet(num_classes=CLASSES, aux_logits=False,
    transform_input=True, init_weights=False) and saves its logits in scoring mode for INPUT's "input" (RGB pixels in
    [0, 1] of any size, normalised as above) to OUTPUT as "logits".
check WEIGHTS EXPECTED CLASSES
    Loads WEIGHTS strictly into torchvision.models.googlenet(num_classes=CLASSES, aux_logits=False,
    transform_input=True, init_weights=False) and prints as JSON the largest difference between its logits for
    EXPECTED's input (normalised as above) and EXPECTED's logits.
"""
import json
import sys

import PIL.Image
import torch
import torchvision

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def normalize(pixels):
    return torchvision.transforms.Normalize(MEAN, STD)(pixels)


def write(folder, classes, size):
    generator = torch.Generator().manual_seed(1)
    for aux in (True, False):
        torch.manual_seed(0)
        model = torchvision.models.googlenet(num_classes=classes, aux_logits=aux, transform_input=True, init_weights=True)
        batch_norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        for bn in batch_norms:
            bn.momentum = None  # a plain average over the calibration batches
        model.train()
        with torch.no_grad():
            for _ in range(2):
                model(normalize(torch.rand(8, 3, size, size, generator=generator)))
            for bn in batch_norms:
                bn.weight.uniform_(0.5, 1.5, generator=generator)
                bn.bias.uniform_(-0.2, 0.2, generator=generator)
        model.eval()
        torch.save(model.state_dict(), f"{folder}/googlenet-aux{int(aux)}.pth")
        if aux:  # PyTorch's format before 1.6, which files published before 2020 have
            torch.save(model.state_dict(), f"{folder}/googlenet-legacy.pth", _use_new_zipfile_serialization=False)

        pixels = torch.rand(4, 3, size, size, generator=generator)
        features = {}

        def keep_features(module, args, output):  # returns None: the output goes on unchanged
            features["value"] = torch.flatten(output, 1)

        def keep(name):
            def hook(module, args, output):
                features[name] = output
            return hook

        hooks = [model.avgpool.register_forward_hook(keep_features),
                 model.inception4a.register_forward_hook(keep("inception4a")),
                 model.inception4d.register_forward_hook(keep("inception4d"))]
        with torch.no_grad():
            logits = model(normalize(pixels))
            expected = {"input": pixels, "logits": logits, "features": features["value"]}
            if aux:
                expected["aux1"] = model.aux1(features["inception4a"])
                expected["aux2"] = model.aux2(features["inception4d"])
        for hook in hooks:
            hook.remove()
        torch.save(expected, f"{folder}/expected-aux{int(aux)}.pt")
        if not aux:
            write_images(folder, model, size, generator)


def write_images(folder, model, size, generator):
    """image-N.png: random RGB images; expected-images.pt: the model's logits for ToTensor, then Normalize, of them."""
    pixels = torch.randint(0, 256, (3, size, size, 3), dtype=torch.uint8, generator=generator)
    tensors = []
    for index, image in enumerate(pixels):
        PIL.Image.fromarray(image.numpy(), "RGB").save(f"{folder}/image-{index}.png")
        tensors.append(torchvision.transforms.functional.to_tensor(PIL.Image.open(f"{folder}/image-{index}.png")))
    with torch.no_grad():
        logits = model(normalize(torch.stack(tensors)))
    torch.save({"logits": logits}, f"{folder}/expected-images.pt")


def logits(weights, input_file, classes, output):
    model = torchvision.models.googlenet(num_classes=classes, aux_logits=False, transform_input=True, init_weights=False)
    model.load_state_dict(torch.load(weights), strict=True)
    model.eval()
    pixels = torch.load(input_file)["input"]
    with torch.no_grad():
        torch.save({"logits": model(normalize(pixels))}, output)


def check(weights, expected, classes):
    model = torchvision.models.googlenet(num_classes=classes, aux_logits=False, transform_input=True, init_weights=False)
    model.load_state_dict(torch.load(weights), strict=True)
    model.eval()
    reference = torch.load(expected)
    with torch.no_grad():
        logits = model(normalize(reference["input"]))
    print(json.dumps({"max_abs_difference": (logits - reference["logits"]).abs().max().item()}))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "logits":
        logits(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        check(sys.argv[2], sys.argv[3], int(sys.argv[4]))

"""Fixtures for the tests of torchvision's networks (googlenet-torchvision, inception-v3-torchvision), written by
torchvision itself (Debian's python3-torchvision). MODEL is googlenet or inception_v3.

write MODEL FOLDER CLASSES SIZE
    MODEL-aux1.pth: the state dict of torchvision.models.MODEL(num_classes=CLASSES, aux_logits=True,
    init_weights=True) with seeded random weights (those of the layers with an output per class at std 0.1), random batch-norm
    scales and shifts, and batch-norm statistics then gathered on random images (so that every stored value changes
    the logits); MODEL-legacy.pth: the same in PyTorch's
    format before 1.6; MODEL-aux0.pth: the same weights without the auxiliary classifiers, as
    MODEL(aux_logits=False) holds them after loading them strictly. MODEL-expected.pt: random pixels in [0, 1] of
    SIZE x SIZE ("input"), and torchvision's logits ("logits") and features before fc ("features") in scoring mode
    after ImageNet's Normalize, with transform_input=True; also the outputs of the auxiliary classifiers in scoring
    mode (GoogLeNet's "aux1" of inception4a's output and "aux2" of inception4d's; Inception-v3's "AuxLogits" of
    Mixed_6e's, when SIZE is at least 299, the smallest it takes), which torchvision computes only in training mode
    otherwise. MODEL-image-0.png … MODEL-image-2.png: random RGB images of SIZE x SIZE; MODEL-expected-images.pt: the
    logits for them after ToTensor and Normalize.
logits MODEL WEIGHTS INPUT CLASSES OUTPUT
    Loads WEIGHTS strictly into torchvision.models.MODEL(num_classes=CLASSES, aux_logits=False, transform_input=True,
    init_weights=False) and saves its logits in scoring mode for INPUT's "input" (RGB pixels in [0, 1] of any size,
    normalised as above) to OUTPUT as "logits".
check MODEL WEIGHTS EXPECTED CLASSES
    Loads WEIGHTS as logits does and prints as JSON the largest difference between its logits for EXPECTED's input
    (normalised as above) and EXPECTED's logits.
"""
import json
import sys

import PIL.Image
import torch
import torchvision

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]

# Each network's auxiliary classifiers and the module whose output each reads.
AUXILIARY = {
    "googlenet": {"aux1": "inception4a", "aux2": "inception4d"},
    "inception_v3": {"AuxLogits": "Mixed_6e"},
}

# The layers with an output per class.
CLASS_LAYERS = {"googlenet": ["fc", "aux1.fc2", "aux2.fc2"], "inception_v3": ["fc", "AuxLogits.fc"]}

# The smallest image each network's auxiliary classifiers take.
AUXILIARY_MINIMUM = {"googlenet": 32, "inception_v3": 299}


def normalize(pixels):
    return torchvision.transforms.Normalize(MEAN, STD)(pixels)


def build(model_name, classes, aux, init_weights):
    return getattr(torchvision.models, model_name)(
        num_classes=classes, aux_logits=aux, transform_input=True, init_weights=init_weights)


def write(model_name, folder, classes, size):
    generator = torch.Generator().manual_seed(1)
    aux_names = AUXILIARY[model_name]
    aux_runs = size >= AUXILIARY_MINIMUM[model_name]
    torch.manual_seed(0)
    model = build(model_name, classes, aux=True, init_weights=True)
    batch_norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        # Scales and shifts first, then the statistics of what they give: every layer's activations stay near the
        # range its statistics describe, as in a trained network, however deep the network is.
        for bn in batch_norms:
            bn.momentum = None  # a plain average over the calibration batches
            bn.weight.uniform_(0.5, 1.5, generator=generator)
            bn.bias.uniform_(-0.2, 0.2, generator=generator)
        # torchvision starts them at std 0.01 or 0.001, which leaves the logits of random weights within 0.1 of each other.
        for name in CLASS_LAYERS[model_name]:
            model.get_submodule(name).weight.normal_(0, 0.1, generator=generator)
        # In training mode torchvision runs the auxiliary classifiers too: set aside where the image is too small for them.
        set_aside = {} if aux_runs else {name: getattr(model, name) for name in aux_names}
        for name in set_aside:
            setattr(model, name, None)
        model.train()
        for _ in range(2):
            model(normalize(torch.rand(4, 3, size, size, generator=generator)))
        for name, module in set_aside.items():
            setattr(model, name, module)
    model.eval()
    state = model.state_dict()
    torch.save(state, f"{folder}/{model_name}-aux1.pth")
    # PyTorch's format before 1.6, which files published before 2020 have.
    torch.save(state, f"{folder}/{model_name}-legacy.pth", _use_new_zipfile_serialization=False)
    without = build(model_name, classes, aux=False, init_weights=False)
    without.load_state_dict({k: v for k, v in state.items() if k.split(".")[0] not in aux_names}, strict=True)
    without.eval()
    torch.save(without.state_dict(), f"{folder}/{model_name}-aux0.pth")

    pixels = torch.rand(4, 3, size, size, generator=generator)
    features = {}

    def keep(name, flatten=False):
        def hook(module, args, output):  # returns None: the output goes on unchanged
            features[name] = torch.flatten(output, 1) if flatten else output
        return hook

    hooks = [model.avgpool.register_forward_hook(keep("features", flatten=True))]
    hooks += [getattr(model, after).register_forward_hook(keep(after)) for after in aux_names.values()]
    with torch.no_grad():
        logits = model(normalize(pixels))
        expected = {"input": pixels, "logits": logits, "features": features["features"]}
        if aux_runs:
            for name, after in aux_names.items():
                expected[name] = getattr(model, name)(features[after])
    for hook in hooks:
        hook.remove()
    torch.save(expected, f"{folder}/{model_name}-expected.pt")
    write_images(model_name, folder, without, size, generator)


def write_images(model_name, folder, model, size, generator):
    """MODEL-image-N.png: random RGB images; MODEL-expected-images.pt: the model's logits for ToTensor, then Normalize, of them."""
    pixels = torch.randint(0, 256, (3, size, size, 3), dtype=torch.uint8, generator=generator)
    tensors = []
    for index, image in enumerate(pixels):
        path = f"{folder}/{model_name}-image-{index}.png"
        PIL.Image.fromarray(image.numpy(), "RGB").save(path)
        tensors.append(torchvision.transforms.functional.to_tensor(PIL.Image.open(path)))
    with torch.no_grad():
        logits = model(normalize(torch.stack(tensors)))
    torch.save({"logits": logits}, f"{folder}/{model_name}-expected-images.pt")


def scoring(model_name, weights, classes):
    model = build(model_name, classes, aux=False, init_weights=False)
    model.load_state_dict(torch.load(weights), strict=True)
    model.eval()
    return model


def logits(model_name, weights, input_file, classes, output):
    model = scoring(model_name, weights, classes)
    pixels = torch.load(input_file)["input"]
    with torch.no_grad():
        torch.save({"logits": model(normalize(pixels))}, output)


def check(model_name, weights, expected, classes):
    model = scoring(model_name, weights, classes)
    reference = torch.load(expected)
    with torch.no_grad():
        result = model(normalize(reference["input"]))
    print(json.dumps({"max_abs_difference": (result - reference["logits"]).abs().max().item()}))


if __name__ == "__main__":
    command, model_name = sys.argv[1], sys.argv[2]
    if model_name not in AUXILIARY:
        sys.exit(f"unknown model {model_name}: one of {', '.join(AUXILIARY)}")
    if command == "write":
        write(model_name, sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif command == "logits":
        logits(model_name, sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6])
    elif command == "check":
        check(model_name, sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        sys.exit(f"unknown command {command}")

"""State dicts in both of torch.save's formats, written by Debian's PyTorch 1.13, for TorchSaveFileTests.

write FOLDER
    For each NAME of views, googlenet-aux1, googlenet-aux0, inception_v3-aux1 and inception_v3-aux0: NAME-zip.pth (the zip format of PyTorch 1.6 and later),
    NAME-legacy.pth (the format before it, torch.save(..., _use_new_zipfile_serialization=False)) and NAME.raw with
    NAME.json: every tensor's elements, contiguous and little-endian, one after the other in the raw file, and per key
    its dtype, shape and byte offset there. "views" holds tensors that share storages (a matrix, its transpose, a row,
    a column slice), one at an offset, scalars, an empty tensor and every element type a state dict may have;
    the others are torchvision.models.googlenet and inception_v3 (num_classes=5) with and without their auxiliary
    classifiers, with seeded random weights and num_batches_tracked of 4.
    lying-legacy.pth: the earlier format, whose one storage claims 2**40 elements and holds 4.
"""
import collections
import io
import json
import pickle
import struct
import sys

import torch
import torchvision


# The networks of torchvision the library builds.
NETWORKS = ("googlenet", "inception_v3")


def views():
    generator = torch.Generator().manual_seed(3)
    matrix = torch.randn(4, 6, generator=generator)
    state = collections.OrderedDict()
    state["matrix"] = matrix
    state["transposed"] = matrix.t()
    state["row"] = matrix[2]
    state["columns"] = matrix[:, 1:4]
    state["every_other"] = matrix[::2, ::3]
    state["scalar"] = torch.tensor(2.5)
    state["num_batches_tracked"] = torch.tensor(4)
    state["empty"] = torch.zeros(0, 3)
    state["float64"] = torch.randn(3, generator=generator, dtype=torch.float64)
    state["float16"] = torch.randn(5, generator=generator).half()
    state["bfloat16"] = torch.randn(5, generator=generator).bfloat16()
    state["int32"] = torch.arange(-3, 3, dtype=torch.int32)
    state["int16"] = torch.arange(-3, 3, dtype=torch.int16)
    state["int8"] = torch.arange(-3, 3, dtype=torch.int8)
    state["uint8"] = torch.arange(250, 256, dtype=torch.uint8)
    state["bool"] = torch.tensor([True, False, True])
    return state


def torchvision_network(name, aux):
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(num_classes=5, aux_logits=aux, init_weights=True)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-1, 1)
                module.running_var.uniform_(0.5, 2)
                module.num_batches_tracked.fill_(4)
    return model.state_dict()


def write_reference(state, path):
    index, offset = {}, 0
    with open(path + ".raw", "wb") as raw:
        for key, tensor in state.items():
            data = tensor.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b""
            raw.write(data)
            index[key] = {"dtype": str(tensor.dtype).replace("torch.", ""), "shape": list(tensor.shape), "offset": offset}
            offset += len(data)
    with open(path + ".json", "w") as file:
        json.dump(index, file)


def write_lying(path):
    """The earlier format by hand: its one storage claims 2**40 float elements and holds four."""
    class Writer(pickle.Pickler):
        def persistent_id(self, obj):
            return ("storage", torch.FloatStorage, "0", "cpu", 2 ** 40, None) if obj is STORAGE else None

    STORAGE = object()
    rebuild = torch._utils._rebuild_tensor_v2
    buffer = io.BytesIO()
    for header in (0x1950a86a20f9469cfc6c, 1001, {"protocol_version": 1001, "little_endian": True,
                                                   "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(header, buffer, protocol=2)

    class Tensor:
        def __reduce__(self):
            return (rebuild, (STORAGE, 0, (4,), (1,), False, collections.OrderedDict()))

    Writer(buffer, protocol=2).dump(collections.OrderedDict(weight=Tensor()))
    pickle.dump(["0"], buffer, protocol=2)
    buffer.write(struct.pack("<q", 2 ** 40))
    buffer.write(struct.pack("<4f", 1, 2, 3, 4))
    with open(path, "wb") as file:
        file.write(buffer.getvalue())


def write(folder):
    def states():  # one at a time: Inception-v3's is 100 MB
        yield "views", views()
        for network in NETWORKS:
            for aux in (True, False):
                yield f"{network}-aux{int(aux)}", torchvision_network(network, aux)

    for name, state in states():
        torch.save(state, f"{folder}/{name}-zip.pth")
        torch.save(state, f"{folder}/{name}-legacy.pth", _use_new_zipfile_serialization=False)
        write_reference(state, f"{folder}/{name}")
    write_lying(f"{folder}/lying-legacy.pth")


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    else:
        sys.exit(f"unknown command {sys.argv[1]}")

"""GoogLeNet as MLNet.GoogLeNet builds it (GoogLeNetNetwork), in PyTorch, with the same module names, so that the two
exchange weights through state_dict files: `googlenet export --state-dict weights.pt` writes what
`GoogLeNet(...).load_state_dict(torch.load("weights.pt"))` reads, and `torch.save(net.state_dict(), "weights.pt")`
writes what `googlenet train --from weights.pt` reads (docs/export.md)."""
from collections import OrderedDict

import torch
from torch import nn

BATCH_NORM_EPS = 1e-5       # ConvUnit.BatchNormEpsilon
BATCH_NORM_MOMENTUM = 0.1   # ConvUnit.BatchNormMomentum


def width(channels, divisor):
    """InceptionChannels.Divide: every channel count divided, never below one."""
    return max(1, channels // divisor)


class ConvUnit(nn.Module):
    """A convolution, then batch normalisation (batch-normalised network; the convolution then has no bias), then ReLU."""

    def __init__(self, in_channels, out_channels, kernel, batch_norm, activation, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=padding, bias=not batch_norm)
        self.bn = nn.BatchNorm2d(out_channels, eps=BATCH_NORM_EPS, momentum=BATCH_NORM_MOMENTUM) if batch_norm else None
        self.relu = nn.ReLU() if activation else None

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.relu is not None:
            x = self.relu(x)
        return x


class Inception(nn.Module):
    """Four paths - 1x1; 1x1 then 3x3; 1x1 then 5x5; 3x3 max-pool then 1x1 - concatenated on the channel axis."""

    def __init__(self, in_channels, c1, c2, c3, c4, batch_norm):
        super().__init__()
        unit = lambda i, o, k, p=0: ConvUnit(i, o, k, batch_norm, True, padding=p)
        self.path1 = nn.Sequential(OrderedDict(conv=unit(in_channels, c1, 1)))
        self.path2 = nn.Sequential(OrderedDict(reduce=unit(in_channels, c2[0], 1), conv=unit(c2[0], c2[1], 3, 1)))
        self.path3 = nn.Sequential(OrderedDict(reduce=unit(in_channels, c3[0], 1), conv=unit(c3[0], c3[1], 5, 2)))
        self.path4 = nn.Sequential(OrderedDict(pool=nn.MaxPool2d(3, stride=1, padding=1), conv=unit(in_channels, c4, 1)))

    def forward(self, x):
        return torch.cat([self.path1(x), self.path2(x), self.path3(x), self.path4(x)], dim=1)


def _stage(in_channels, blocks, divisor, batch_norm, pool):
    layers = OrderedDict()
    for i, (c1, c2, c3, c4) in enumerate(blocks):
        c1, c2, c3, c4 = width(c1, divisor), tuple(width(c, divisor) for c in c2), tuple(width(c, divisor) for c in c3), width(c4, divisor)
        layers[str(i)] = Inception(in_channels, c1, c2, c3, c4, batch_norm)
        in_channels = c1 + c2[1] + c3[1] + c4
    layers["pool"] = pool
    return nn.Sequential(layers), in_channels


class GoogLeNet(nn.Module):
    """The recipe's GoogLeNet (batch_norm=False) or GoogLeNet-BN (batch_norm=True); width_divisor as in GoogLeNetConfiguration."""

    def __init__(self, in_channels=1, classes=10, width_divisor=1, batch_norm=False):
        super().__init__()
        w = lambda c: width(c, width_divisor)
        pool = lambda: nn.MaxPool2d(3, stride=2, padding=1)
        self.b1 = nn.Sequential(OrderedDict(conv=ConvUnit(in_channels, w(64), 7, batch_norm, True, stride=2, padding=3), pool=pool()))
        # The recipe's b2 has no activations; the batch-normalised network has normalisation and ReLU after each conv.
        self.b2 = nn.Sequential(OrderedDict(conv1=ConvUnit(w(64), w(64), 1, batch_norm, batch_norm),
                                            conv2=ConvUnit(w(64), w(192), 3, batch_norm, batch_norm, padding=1), pool=pool()))
        self.b3, c = _stage(w(192), [(64, (96, 128), (16, 32), 32), (128, (128, 192), (32, 96), 64)], width_divisor, batch_norm, pool())
        self.b4, c = _stage(c, [(192, (96, 208), (16, 48), 64), (160, (112, 224), (24, 64), 64), (128, (128, 256), (24, 64), 64),
                                (112, (144, 288), (32, 64), 64), (256, (160, 320), (32, 128), 128)], width_divisor, batch_norm, pool())
        self.b5, c = _stage(c, [(256, (160, 320), (32, 128), 128), (384, (192, 384), (48, 128), 128)], width_divisor, batch_norm,
                            nn.AdaptiveAvgPool2d(1))
        self.flatten = nn.Flatten()
        self.dense = nn.Linear(c, classes)

    def forward(self, x):
        for stage in (self.b1, self.b2, self.b3, self.b4, self.b5, self.flatten, self.dense):
            x = stage(x)
        return x

    @staticmethod
    def for_state_dict(state, width_divisor=None):
        """The network a state dict of this layout was saved from: channels and classes from its shapes, batch
        normalisation from its keys, the width divisor given or inferred from the first convolution."""
        first = state["b1.conv.conv.weight"]
        divisor = width_divisor or max(1, 64 // first.shape[0])
        return GoogLeNet(first.shape[1], state["dense.weight"].shape[0], divisor, "b1.conv.bn.weight" in state)

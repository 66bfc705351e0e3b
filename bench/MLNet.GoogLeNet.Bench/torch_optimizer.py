"""The optimiser of MLNet.GoogLeNet's training step in PyTorch, for the benchmark's peers: two parameter groups as
Training/ParameterGroups.cs makes them (weight decay on weights of more than one dimension only, none on biases and
normalisation parameters), with AdamW (betas 0.9/0.999, eps 1e-8) or SGD (weight decay added to the gradient, as
torch.optim.SGD and TorchSharp's SGD both do; momentum and Nesterov as given)."""
import torch


def optimizer(net, name, learning_rate, weight_decay, momentum=0.0, nesterov=False):
    decayed = [q for q in net.parameters() if q.dim() > 1]
    undecayed = [q for q in net.parameters() if q.dim() <= 1]
    groups = [{"params": decayed, "weight_decay": weight_decay}, {"params": undecayed, "weight_decay": 0.0}]
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=learning_rate)
    if name == "sgd":
        return torch.optim.SGD(groups, lr=learning_rate, momentum=momentum, nesterov=nesterov)
    raise ValueError(f"unknown optimiser {name!r}: adamw or sgd")

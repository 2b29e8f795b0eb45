"""Batch normalization from scratch, and folding it into the convolution before it (chapter 15).

Ioffe and Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing
Internal Covariate Shift", ICML 2015 (https://arxiv.org/abs/1502.03167).
In training, every channel is normalised with the mean and variance of the current batch
(over N, H and W), then scaled by gamma (`weight`) and shifted by beta (`bias`); running
averages of the batch statistics are kept for inference, where they replace the batch's.
Same argument names and buffers as `torch.nn.functional.batch_norm` / `nn.BatchNorm2d`, so
either can stand in for the other and their state_dicts load into each other.

Detail that trips people up: the batch is normalised with the *biased* variance (divide by
n), while the running variance is updated with the *unbiased* one (divide by n - 1).
"""

from __future__ import annotations

import torch
from torch import nn


def batch_norm(x: torch.Tensor, running_mean: torch.Tensor | None,
               running_var: torch.Tensor | None, weight: torch.Tensor | None = None,
               bias: torch.Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> torch.Tensor:
    """Normalise each channel of (N, C, ...) input, then scale and shift; as F.batch_norm.

    training=True: use the batch's statistics and, if running buffers are given, update them
    in place: running = (1 - momentum) * running + momentum * batch statistic.
    training=False: use the running statistics.
    """
    if x.ndim < 2:
        raise ValueError(f"batch_norm needs input of shape (N, C, ...), got {tuple(x.shape)}.")
    channels = x.shape[1]
    dims = [d for d in range(x.ndim) if d != 1]  # every dimension but the channels
    shape = [1, channels] + [1] * (x.ndim - 2)  # broadcasts a (C,) vector over (N, C, H, W)
    if training:
        n = x.numel() // channels  # values per channel: N * H * W
        if n <= 1:
            raise ValueError(
                f"batch_norm in training mode needs more than 1 value per channel to compute a "
                f"variance, got input of shape {tuple(x.shape)}. Use a larger batch, or call "
                f"model.eval() to use the running statistics.")
        mean = x.mean(dim=dims)
        var = x.var(dim=dims, unbiased=False)  # biased: what the batch is normalised with
        if running_mean is not None and running_var is not None:
            with torch.no_grad():
                running_mean.mul_(1 - momentum).add_(momentum * mean)
                running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))  # unbiased
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm with training=False needs running_mean and running_var; "
                             "pass training=True to normalise with the batch statistics.")
        mean, var = running_mean, running_var
    x_hat = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + eps)
    if weight is not None:
        x_hat = x_hat * weight.view(shape)
    if bias is not None:
        x_hat = x_hat + bias.view(shape)
    return x_hat


class BatchNorm2d(nn.Module):
    """Our nn.BatchNorm2d: same parameters (weight, bias) and buffers, same train/eval behaviour.

    momentum=None averages all batches seen so far equally (a cumulative average), as torch does.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True) -> None:
        super().__init__()
        if num_features < 1:
            raise ValueError(f"num_features must be the (positive) channel count, got {num_features}.")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = nn.Parameter(torch.ones(num_features)) if affine else None  # gamma
        self.bias = nn.Parameter(torch.zeros(num_features)) if affine else None  # beta
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm2d({self.num_features}) expects (N, {self.num_features}, "
                             f"H, W) input, got shape {tuple(x.shape)}.")
        use_batch_stats = self.training or not self.track_running_stats
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative average: batch k gets weight 1/k
                momentum = 1.0 / self.num_batches_tracked.item()
        # Running buffers are updated only in training mode, never in eval mode.
        running_mean = self.running_mean if self.training else None
        running_var = self.running_var if self.training else None
        if use_batch_stats:
            return batch_norm(x, running_mean, running_var, self.weight, self.bias,
                              training=True, momentum=momentum, eps=self.eps)
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          training=False, eps=self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


Norm = nn.BatchNorm2d | BatchNorm2d


def fold_batch_norm(conv: nn.Conv2d, bn: Norm) -> nn.Conv2d:
    """One conv equal to `bn(conv(x))` in eval mode: BN's scale goes into the weights, its shift
    into the bias.

    With s = gamma / sqrt(running_var + eps): W' = s * W (per output channel) and
    b' = s * (b - running_mean) + beta. Used for inference (chapters 15 and 38).
    """
    if not isinstance(conv, nn.Conv2d):
        raise ValueError(f"fold_batch_norm needs an nn.Conv2d first, got {type(conv).__name__}.")
    if conv.out_channels != bn.num_features:
        raise ValueError(f"conv has {conv.out_channels} output channels but the BatchNorm has "
                         f"{bn.num_features} features; fold a BN into the conv that feeds it.")
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("fold_batch_norm needs a BatchNorm with running statistics "
                         "(track_running_stats=True): a BN without them has no fixed inference map.")
    with torch.no_grad():
        scale = torch.rsqrt(bn.running_var + bn.eps)  # (C_out,)
        shift = -bn.running_mean * scale
        if bn.weight is not None:
            scale, shift = scale * bn.weight, shift * bn.weight
        if bn.bias is not None:
            shift = shift + bn.bias
        old_bias = conv.bias if conv.bias is not None else torch.zeros_like(shift)
        folded = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                           conv.padding, conv.dilation, conv.groups, bias=True,
                           padding_mode=conv.padding_mode, device=conv.weight.device,
                           dtype=conv.weight.dtype)
        folded.weight.copy_(conv.weight * scale.view(-1, 1, 1, 1))  # (C_out, C_in/g, kH, kW)
        folded.bias.copy_(old_bias * scale + shift)
    return folded


def fold_batch_norms(model: nn.Module) -> nn.Module:
    """A copy of `model` for inference with every BatchNorm that directly follows a conv folded in.

    The model is traced with torch.fx, so convs and BNs are found wherever `forward` wires them
    (`nn.Sequential` or attributes like ResNet's conv1/bn1). A BN whose conv also feeds other
    layers is left alone. Returns an eval-mode `torch.fx.GraphModule`; the model is unchanged.
    """
    import copy

    import torch.fx

    graph_module = torch.fx.symbolic_trace(copy.deepcopy(model).eval())
    modules = dict(graph_module.named_modules())
    for node in list(graph_module.graph.nodes):
        if node.op != "call_module" or not isinstance(modules[node.target], (nn.BatchNorm2d, BatchNorm2d)):
            continue
        source = node.args[0]
        if (not isinstance(source, torch.fx.Node) or source.op != "call_module"
                or not isinstance(modules[source.target], nn.Conv2d) or len(source.users) != 1):
            continue
        conv, bn = modules[source.target], modules[node.target]
        parent_name, _, attr = source.target.rpartition(".")
        setattr(graph_module.get_submodule(parent_name), attr, fold_batch_norm(conv, bn))
        node.replace_all_uses_with(source)  # the BN's users now read the folded conv
        graph_module.graph.erase_node(node)
    graph_module.delete_all_unused_submodules()
    graph_module.recompile()
    return graph_module.eval()

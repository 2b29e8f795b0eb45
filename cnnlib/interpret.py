"""Seeing inside a CNN: hooks, saliency, Grad-CAM, occlusion, activation maximisation, sanity checks.

Chapter 36. Grad-CAM: Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
Gradient-based Localization", 2017, https://arxiv.org/abs/1610.02391. Saliency: Simonyan,
Vedaldi & Zisserman, "Deep Inside Convolutional Networks", 2014, https://arxiv.org/abs/1312.6034.
Occlusion: Zeiler & Fergus, "Visualizing and Understanding Convolutional Networks", 2014,
https://arxiv.org/abs/1311.2901. Sanity checks: Adebayo et al., "Sanity Checks for Saliency
Maps", 2018, https://arxiv.org/abs/1810.03292.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import torch
from torch import nn
from torch.nn import functional as F


class Recorder:
    """Keep the outputs of chosen layers during a forward pass; the hooks go when the `with` ends.

    with Recorder({"conv1": model.conv1}) as rec:
        model(x)
    rec.outputs["conv1"]   # the layer's output, detached unless detach=False
    """

    def __init__(self, layers: Mapping[str, nn.Module], detach: bool = True) -> None:
        self.layers = dict(layers)
        self.detach = detach
        self.outputs: dict[str, torch.Tensor] = {}
        self._handles: list = []

    def __enter__(self) -> Recorder:
        for name, layer in self.layers.items():
            def keep(module, inputs, output, name=name):
                self.outputs[name] = output.detach() if self.detach else output
            self._handles.append(layer.register_forward_hook(keep))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()  # a hook left behind keeps firing (and holding memory) on every forward
        self._handles.clear()


def check_no_hooks(model: nn.Module) -> None:
    """Raise ValueError if any module of `model` still carries forward or backward hooks."""
    left = []
    for name, module in model.named_modules():
        count = (len(module._forward_hooks) + len(module._forward_pre_hooks)
                 + len(module._backward_hooks) + len(getattr(module, "_backward_pre_hooks", {})))
        if count:
            left.append(f"{name or 'the model'} ({count})")
    if left:
        raise ValueError(f"hooks are still registered on: {', '.join(left)}. Keep the handle that "
                         "register_*_hook returns and call handle.remove() in a `finally` block "
                         "(or use interpret.Recorder, which removes them).")


def _targets(logits: torch.Tensor, target: torch.Tensor | int | None) -> torch.Tensor:
    """The class whose score is explained: the prediction unless `target` is given. (N,)"""
    if target is None:
        return logits.argmax(1)
    if isinstance(target, int):
        return torch.full((len(logits),), target, dtype=torch.long, device=logits.device)
    return target.to(logits.device).long()


def saliency(model: nn.Module, x: torch.Tensor, target: torch.Tensor | int | None = None) -> torch.Tensor:
    """|d score / d pixel|, the largest over colour channels: (N, H, W). Which pixels move the score."""
    model.eval()
    x = x.detach().clone().requires_grad_(True)
    logits = model(x)
    score = logits.gather(1, _targets(logits, target)[:, None]).sum()  # the images are independent
    (grad,) = torch.autograd.grad(score, x)
    return grad.abs().amax(1)


def grad_cam(model: nn.Module, layer: nn.Module, x: torch.Tensor,
             target: torch.Tensor | int | None = None) -> torch.Tensor:
    """Grad-CAM maps (N, H, W) in [0, 1] at the input's size, for the predicted (or given) class.

    A forward hook keeps the layer's activations A (N, K, h, w), a backward hook the gradient of
    the class score with respect to them; each channel is weighted by its mean gradient and
    ReLU(sum_k w_k A_k) is upsampled to the input. The hooks are removed even if an error occurs.
    """
    store: dict[str, torch.Tensor] = {}

    def keep_activation(module, inputs, output):
        store["activation"] = output.detach()

    def keep_gradient(module, grad_input, grad_output):
        store["gradient"] = grad_output[0].detach()  # d score / d output of the layer

    handles = [layer.register_forward_hook(keep_activation), layer.register_full_backward_hook(keep_gradient)]
    try:
        model.eval()
        x = x.detach().clone().requires_grad_(True)  # so the backward pass reaches every layer
        logits = model(x)
        score = logits.gather(1, _targets(logits, target)[:, None]).sum()
        torch.autograd.grad(score, x)  # runs the hooks; leaves no .grad on the weights
    finally:
        for handle in handles:
            handle.remove()
    activation, gradient = store["activation"], store["gradient"]  # (N, K, h, w) each
    weights = gradient.mean(dim=(2, 3), keepdim=True)  # (N, K, 1, 1): global-average-pooled gradients
    cam = F.relu((weights * activation).sum(1, keepdim=True))  # (N, 1, h, w)
    cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]  # (N, H, W)
    return cam / cam.amax(dim=(1, 2), keepdim=True).clamp(min=1e-12)


@torch.no_grad()
def occlusion(model: nn.Module, x: torch.Tensor, target: torch.Tensor | int | None = None,
              patch: int = 8, stride: int = 4, fill: float = 0.0) -> torch.Tensor:
    """How much the class score drops when a `patch` square is covered with `fill`: (N, H, W).

    Every pixel gets the mean drop over the patches that covered it (pixels no patch covers get 0).
    """
    if patch < 1 or stride < 1 or patch > min(x.shape[-2:]):
        raise ValueError(f"need 1 <= patch <= image side and stride >= 1, got patch={patch}, "
                         f"stride={stride} for images {tuple(x.shape[-2:])}.")
    model.eval()
    n, _, h, w = x.shape
    logits = model(x)
    cls = _targets(logits, target)
    base = logits.gather(1, cls[:, None])[:, 0]  # (N,)
    spots = [(r, c) for r in range(0, h - patch + 1, stride) for c in range(0, w - patch + 1, stride)]
    heat = torch.zeros(n, h, w)
    count = torch.zeros(h, w)
    for i in range(n):
        copies = x[i:i + 1].repeat(len(spots), 1, 1, 1)  # (P, C, H, W), one covered patch each
        for k, (r, c) in enumerate(spots):
            copies[k, :, r:r + patch, c:c + patch] = fill
        scores = model(copies)[:, cls[i]].cpu()  # (P,)
        for k, (r, c) in enumerate(spots):
            heat[i, r:r + patch, c:c + patch] += base[i].cpu() - scores[k]
    for r, c in spots:
        count[r:r + patch, c:c + patch] += 1
    return heat / count.clamp(min=1)


def maximize_activation(model: nn.Module, layer: nn.Module, unit: int, shape: Sequence[int],
                        steps: int = 100, lr: float = 0.05, jitter: int = 2, l2: float = 1e-3,
                        value_range: tuple[float, float] = (0.0, 1.0), seed: int = 0) -> torch.Tensor:
    """An input (shape, e.g. (1, 1, 56, 56)) optimised by gradient ascent to excite one unit.

    The unit is channel `unit` of `layer`'s output (its mean over positions for a conv layer),
    or output `unit` of a Linear layer (a class logit). Random shifts (`jitter`) and an L2 penalty
    keep the image from turning into high-frequency noise; pixels stay in `value_range`.
    """
    gen = torch.Generator().manual_seed(seed)
    model.eval()
    x = (0.1 * torch.rand(*shape, generator=gen) + value_range[0]).requires_grad_(True)
    opt = torch.optim.Adam([x], lr=lr)
    with Recorder({"unit": layer}, detach=False) as rec:
        for _ in range(steps):
            dy, dx = (int(v) for v in torch.randint(-jitter, jitter + 1, (2,), generator=gen))
            model(torch.roll(x, shifts=(dy, dx), dims=(2, 3)))
            out = rec.outputs["unit"][:, unit]  # (N, h, w) or (N,)
            loss = -out.mean() + l2 * x.pow(2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                x.clamp_(*value_range)
    return x.detach()


@torch.no_grad()
def unit_activation(model: nn.Module, layer: nn.Module, unit: int, x: torch.Tensor) -> torch.Tensor:
    """Activation of one unit (as in `maximize_activation`) for each image of x: (N,)."""
    model.eval()
    with Recorder({"unit": layer}) as rec:
        model(x)
    out = rec.outputs["unit"][:, unit]
    return out.flatten(1).mean(1) if out.ndim > 1 else out


def randomized_copy(model: nn.Module, seed: int = 0, only: Sequence[str] | None = None) -> nn.Module:
    """A copy of `model` whose weights are re-initialised (all, or the modules named in `only`).

    The model-randomisation test of Adebayo et al.: an explanation that barely changes when the
    weights are destroyed does not explain what the model learned.
    """
    clone = copy.deepcopy(model)
    names = dict(clone.named_modules())
    if only is not None:
        missing = [n for n in only if n not in names]
        if missing:
            raise ValueError(f"no modules named {missing}; choose from {[n for n in names if n]}.")
    chosen = [names[n] for n in only] if only is not None else list(clone.modules())
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for module in chosen:
            for sub in module.modules():
                if hasattr(sub, "reset_parameters"):
                    sub.reset_parameters()
    return clone


def _average_ranks(values: torch.Tensor) -> torch.Tensor:
    """Ranks 0..n-1 of a 1-D tensor; tied values share the mean of their ranks."""
    uniq, inverse, counts = torch.unique(values, return_inverse=True, return_counts=True)
    ends = counts.cumsum(0)  # one past the last rank of each distinct value
    mean_rank = (ends - counts + ends - 1).double() / 2
    return mean_rank[inverse]


def rank_correlation(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Spearman's rank correlation of each pair of maps a[i], b[i] (any shape after dim 0): (N,)."""
    if a.shape != b.shape:
        raise ValueError(f"a {tuple(a.shape)} and b {tuple(b.shape)} must have the same shape.")
    out = []
    for u, v in zip(a.flatten(1), b.flatten(1), strict=True):
        ru, rv = _average_ranks(u), _average_ranks(v)
        ru, rv = ru - ru.mean(), rv - rv.mean()
        denom = (ru.norm() * rv.norm()).clamp(min=1e-12)
        out.append((ru @ rv) / denom)
    return torch.stack(out).float()


def peak_in_box(maps: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """Does each map's highest pixel fall inside its box (x1, y1, x2, y2; x2, y2 exclusive)? (N,) bool."""
    if maps.ndim != 3 or boxes.shape != (len(maps), 4):
        raise ValueError(f"need maps (N, H, W) and boxes (N, 4), got {tuple(maps.shape)} and "
                         f"{tuple(boxes.shape)}.")
    w = maps.shape[-1]
    flat = maps.flatten(1).argmax(1)  # (N,)
    row, col = flat // w, flat % w
    return (col >= boxes[:, 0]) & (col < boxes[:, 2]) & (row >= boxes[:, 1]) & (row < boxes[:, 3])


def show_maps(images: torch.Tensor, maps: Mapping[str, torch.Tensor], boxes: torch.Tensor | None = None,
              titles: Sequence[str] | None = None, width: float = 8.0):
    """A grid: the images (with their boxes) in the first row, then one row per kind of map.

    images: (N, 1, H, W) in [0, 1]; maps: name -> (N, H, W), shown over a faint copy of the image.
    """
    import matplotlib.pyplot as plt

    n, rows = len(images), 1 + len(maps)
    side = width / n
    fig, axes = plt.subplots(rows, n, figsize=(width, side * rows + 0.4 * rows), squeeze=False)
    for col in range(n):
        picture = images[col, 0].detach().cpu().numpy()
        axes[0, col].imshow(picture, cmap="gray", vmin=0, vmax=1)
        if titles is not None:
            axes[0, col].set_title(titles[col], fontsize=9)
        if boxes is not None:
            x1, y1, x2, y2 = (float(v) for v in boxes[col])
            axes[0, col].add_patch(plt.Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False,
                                                 edgecolor="tab:green", lw=1.5))
        for row, (name, values) in enumerate(maps.items(), start=1):
            ax = axes[row, col]
            ax.imshow(picture, cmap="gray", vmin=0, vmax=1)
            heat = values[col].detach().cpu().float().numpy()
            ax.imshow(heat, cmap="jet", alpha=0.55)
            peak = int(heat.argmax())
            ax.plot(peak % heat.shape[-1], peak // heat.shape[-1], "w+", ms=8, mew=2)
            if col == 0:
                ax.set_ylabel(name, fontsize=10)
    for ax in axes.flat:
        ax.set_xticks([]), ax.set_yticks([])
    fig.tight_layout()
    return fig


def show_channels(maps: torch.Tensor, ncols: int = 8, width: float = 8.0, title: str | None = None):
    """Every channel of a (C, H, W) tensor (feature maps or one input slice of the kernels) as a small
    image, each scaled to its own range; the channel number sits under each."""
    import matplotlib.pyplot as plt

    maps = maps.detach().cpu().float()
    nrows = -(-len(maps) // ncols)
    side = width / ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, side * nrows + 0.25 * nrows + 0.4), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([]), ax.set_yticks([])
        if i >= len(maps):
            ax.axis("off")
            continue
        ax.imshow(maps[i].numpy(), cmap="viridis")
        ax.set_xlabel(f"#{i}", fontsize=9, labelpad=1)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig

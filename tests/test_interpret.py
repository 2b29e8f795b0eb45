"""Seeing inside: hooks are removed, and each map is checked on a toy model whose answer is known."""

import pytest
import torch
from torch import nn

from cnnlib import interpret


class TwoDetectors(nn.Module):
    """Channel c of the input is the evidence for class c: identity 1x1 conv, mean pool, identity FC."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 1, bias=False)
        self.fc = nn.Linear(2, 2, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.eye(2).view(2, 2, 1, 1))
            self.fc.weight.copy_(torch.eye(2))

    def forward(self, x):
        return self.fc(self.conv(x).mean(dim=(2, 3)))


def two_blobs() -> torch.Tensor:
    x = torch.zeros(1, 2, 8, 8)
    x[0, 0, 1:3, 1:3] = torch.tensor([[1.0, 2.0], [0.5, 1.0]])  # class 0's evidence, top left
    x[0, 1, 5:7, 4:7] = 3.0                                     # class 1's evidence, bottom right
    return x


def test_grad_cam_finds_the_evidence_of_each_class():
    model, x = TwoDetectors(), two_blobs()
    for cls in (0, 1):
        cam = interpret.grad_cam(model, model.conv, x, target=cls)
        # A = x, d score / d A_c = 1/64 for the class's channel and 0 for the other:
        # Grad-CAM = ReLU(x[cls] / 64), scaled to a maximum of 1
        expected = x[0, cls] / x[0, cls].max()
        torch.testing.assert_close(cam[0], expected)
    box0 = torch.tensor([[1.0, 1, 3, 3]])
    assert interpret.peak_in_box(interpret.grad_cam(model, model.conv, x, target=0), box0).all()
    interpret.check_no_hooks(model)


def test_grad_cam_removes_its_hooks_even_on_error():
    model = TwoDetectors()
    with pytest.raises(RuntimeError):
        interpret.grad_cam(model, model.conv, two_blobs(), target=5)  # no class 5: gather fails
    interpret.check_no_hooks(model)
    assert all(p.grad is None for p in model.parameters())  # no gradients left on the weights


def test_check_no_hooks_names_the_module():
    model = TwoDetectors()
    handle = model.conv.register_forward_hook(lambda m, i, o: None)
    with pytest.raises(ValueError, match="conv"):
        interpret.check_no_hooks(model)
    handle.remove()
    interpret.check_no_hooks(model)


def test_recorder_keeps_outputs_and_removes_hooks():
    model, x = TwoDetectors(), two_blobs()
    with interpret.Recorder({"conv": model.conv, "fc": model.fc}) as rec:
        logits = model(x)
    torch.testing.assert_close(rec.outputs["conv"], x)
    torch.testing.assert_close(rec.outputs["fc"], logits.detach())
    interpret.check_no_hooks(model)


def test_saliency_of_a_linear_model_is_its_weights():
    w = torch.randn(1, 3, 5, 5)
    model = nn.Sequential(nn.Flatten(), nn.Linear(75, 2))
    with torch.no_grad():
        model[1].weight[1] = w.flatten()
    s = interpret.saliency(model, torch.randn(4, 3, 5, 5), target=1)
    torch.testing.assert_close(s, w.abs().amax(1).expand(4, 5, 5))


def test_occlusion_counts_covered_evidence():
    region = torch.zeros(1, 1, 4, 4)
    region[0, 0, :2, :2] = 1.0  # the score is the sum of the top-left 2x2 pixels
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 1, bias=False))
    with torch.no_grad():
        model[1].weight.copy_(region.flatten()[None])
    heat = interpret.occlusion(model, torch.ones(1, 1, 4, 4), target=0, patch=2, stride=2)
    torch.testing.assert_close(heat[0], region[0, 0] * 4)  # covering that patch removes all 4
    heat = interpret.occlusion(model, torch.ones(1, 1, 4, 4), target=0, patch=1, stride=1)
    torch.testing.assert_close(heat[0], region[0, 0])
    with pytest.raises(ValueError, match="patch"):
        interpret.occlusion(model, torch.ones(1, 1, 4, 4), patch=5)


def test_maximize_activation_of_a_linear_unit():
    w = torch.tensor([[1.0, -1.0], [-2.0, 3.0]])
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 1, bias=False))
    with torch.no_grad():
        model[1].weight.copy_(w.flatten()[None])
    x = interpret.maximize_activation(model, model[1], 0, (1, 1, 2, 2), steps=200, lr=0.05, jitter=0)
    # in [0, 1] the best input is 1 where the weight is positive and 0 where it is negative
    torch.testing.assert_close(x[0, 0], (w > 0).float(), atol=0.02, rtol=0)
    assert interpret.unit_activation(model, model[1], 0, x).item() == pytest.approx(4.0, abs=0.1)


def test_randomized_copy():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Linear(3, 3))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    a = interpret.randomized_copy(model, seed=1)
    b = interpret.randomized_copy(model, seed=1)
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, before[k])  # the original is untouched
        torch.testing.assert_close(a.state_dict()[k], b.state_dict()[k])  # seeded
    assert not torch.equal(a[0].weight, model[0].weight)
    top = interpret.randomized_copy(model, seed=1, only=["2"])
    assert torch.equal(top[0].weight, model[0].weight) and not torch.equal(top[2].weight, model[2].weight)
    with pytest.raises(ValueError, match="no modules named"):
        interpret.randomized_copy(model, only=["head"])


def test_rank_correlation_by_hand():
    a = torch.tensor([[1.0, 2, 3, 4], [1.0, 2, 3, 4], [0.0, 0, 1, 2]])
    b = torch.tensor([[2.0, 4, 6, 9], [4.0, 3, 2, 1], [0.0, 1, 1, 2]])
    # row 3 has ties: ranks (0.5, 0.5, 2, 3) and (0, 1.5, 1.5, 3) -> 3.75 / 4.5
    torch.testing.assert_close(interpret.rank_correlation(a, b), torch.tensor([1.0, -1.0, 3.75 / 4.5]))


def test_peak_in_box():
    maps = torch.zeros(2, 5, 5)
    maps[0, 1, 3] = 1.0   # row 1, column 3
    maps[1, 4, 0] = 1.0
    boxes = torch.tensor([[3.0, 1, 4, 2], [1.0, 1, 5, 5]])
    assert interpret.peak_in_box(maps, boxes).tolist() == [True, False]


def test_figures_are_legible_at_book_width():
    import matplotlib.pyplot as plt

    from cnnlib.style import legibility_problems

    images = torch.rand(8, 1, 16, 16)
    maps = {"saliency": torch.rand(8, 16, 16), "Grad-CAM": torch.rand(8, 16, 16)}
    for fig in (interpret.show_maps(images, maps, boxes=torch.tensor([[1.0, 1, 5, 5]] * 8),
                                    titles=[str(i) for i in range(8)]),
                interpret.show_channels(torch.rand(16, 7, 7), title="maps")):
        assert legibility_problems(fig) == []
        plt.close(fig)

"""Segmentation: metrics against hand-computed examples and torchvision, the FCN and U-Net, the loop."""

import math

import pytest
import torch
import torchvision
from torch.nn import functional as F

from cnnlib.canvas import make_canvases
from cnnlib.metrics import boundary_band, box_iou, iou_per_class, mean_iou, pixel_accuracy, pixel_confusion
from cnnlib.models.segmentation import bilinear_kernel, fcn, unet
from cnnlib.train_segmentation import fit_segmentation, predict_masks, score_segmentation

# A 3x4 example worked by hand: classes 0 (background), 1, 2.
TARGET = torch.tensor([[[0, 0, 1, 1],
                        [0, 0, 1, 1],
                        [2, 2, 0, 0]]])
PRED = torch.tensor([[[0, 1, 1, 1],
                      [0, 0, 0, 1],
                      [2, 0, 0, 0]]])


def test_pixel_accuracy_by_hand():
    # wrong: (0,1) 0->1, (1,2) 1->0, (2,1) 2->0: 9 of 12 right
    assert pixel_accuracy(PRED, TARGET) == pytest.approx(9 / 12)


def test_iou_by_hand():
    matrix = pixel_confusion(PRED, TARGET, 3)
    assert matrix.tolist() == [[5, 1, 0],
                               [1, 3, 0],
                               [1, 0, 1]]
    # class 0: TP 5, FN 1, FP 2 -> 5/8; class 1: TP 3, FN 1, FP 1 -> 3/5; class 2: TP 1, FN 1, FP 0 -> 1/2
    assert iou_per_class(matrix).tolist() == pytest.approx([5 / 8, 3 / 5, 1 / 2])
    assert mean_iou(matrix) == pytest.approx((5 / 8 + 3 / 5 + 1 / 2) / 3)


def test_absent_class_is_left_out_of_the_mean():
    matrix = pixel_confusion(PRED, TARGET, 4)  # class 3 occurs nowhere
    assert math.isnan(iou_per_class(matrix)[3].item())
    assert mean_iou(matrix) == pytest.approx((5 / 8 + 3 / 5 + 1 / 2) / 3)


def test_metrics_refuse_logits():
    with pytest.raises(ValueError, match="argmax"):
        pixel_accuracy(torch.zeros(1, 3, 3, 4), TARGET)


def test_boundary_band_by_hand():
    band = boundary_band(TARGET, width=1)[0]
    # every pixel touches another class (8 neighbours) except the top corners
    expected = torch.ones(3, 4, dtype=torch.bool)
    expected[0, 0] = expected[0, 3] = False
    assert torch.equal(band, expected)
    flat = torch.zeros(1, 5, 5, dtype=torch.int64)
    assert not boundary_band(flat).any()


def test_box_iou_by_hand_and_against_torchvision():
    a = torch.tensor([[0.0, 0, 2, 2]])
    b = torch.tensor([[1.0, 1, 3, 3], [2.0, 2, 4, 4], [0.0, 0, 2, 2]])
    assert box_iou(a, b)[0].tolist() == pytest.approx([1 / 7, 0.0, 1.0])  # 1 / (4 + 4 - 1)
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        xy = torch.rand(7, 2, generator=gen) * 50
        wh = torch.rand(7, 2, generator=gen) * 30 + 0.5
        boxes = torch.cat([xy, xy + wh], 1)
        other = boxes.flip(0) + torch.rand(7, 4, generator=gen) * 5
        other[:, 2:] = torch.maximum(other[:, 2:], other[:, :2] + 0.1)
        torch.testing.assert_close(box_iou(boxes, other), torchvision.ops.box_iou(boxes, other))


def test_box_iou_refuses_bad_shapes():
    with pytest.raises(ValueError, match="a must be"):
        box_iou(torch.zeros(4), torch.zeros(1, 4))


@pytest.mark.parametrize("builder", [fcn, unet])
@pytest.mark.parametrize("widths", [(4, 8), (4, 8, 16)])
def test_models_keep_the_size(builder, widths):
    model = builder(num_classes=5, widths=widths)
    out = model(torch.randn(2, 1, 32, 48))
    assert out.shape == (2, 5, 32, 48)


@pytest.mark.parametrize("builder", [fcn, unet])
def test_models_refuse_bad_input(builder):
    with pytest.raises(ValueError, match="divisible by 4"):
        builder(widths=(4, 8, 16))(torch.randn(1, 1, 30, 32))
    with pytest.raises(ValueError, match="num_classes"):
        builder(num_classes=1)


def test_bilinear_kernel_upsamples_bilinearly():
    x = torch.rand(1, 3, 6, 6, dtype=torch.float64)
    for s in (2, 4):
        w = bilinear_kernel(3, 2 * s).double()
        up = F.conv_transpose2d(x, w, stride=s, padding=s // 2, groups=3)
        ref = F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=False)
        inner = (slice(None), slice(None), slice(s, -s), slice(s, -s))  # borders differ (zero padding)
        torch.testing.assert_close(up[inner], ref[inner])


def test_fcn_starts_as_bilinear_upsampling_of_its_scores():
    model = fcn(num_classes=3, widths=(4, 8)).eval()
    x = torch.randn(1, 1, 16, 16)
    coarse = model.classifier(model.backbone(x))
    expected = F.conv_transpose2d(coarse, bilinear_kernel(3, 4), stride=2, padding=1, groups=3)
    torch.testing.assert_close(model(x), expected)


def test_cross_entropy_wants_int64_masks_without_channel_dim():
    logits = torch.randn(2, 3, 4, 4)
    masks = torch.randint(0, 3, (2, 4, 4))
    F.cross_entropy(logits, masks)  # (N, H, W) int64: fine
    with pytest.raises(RuntimeError):
        F.cross_entropy(logits, masks[:, None])  # (N, 1, H, W): the classic mistake


def test_fit_segmentation_learns_a_toy_task():
    pixels = torch.zeros(4, 1, 8, 8)
    pixels[0, 0, 1:7, 1:7] = 1.0                         # class 0: a filled square
    pixels[1, 0, 1:7, 3:5] = 1.0                         # class 1: a bar
    pixels[2:] = pixels[:2]
    labels = torch.tensor([0, 1, 0, 1])
    train = make_canvases(pixels, labels, n=64, size=16, items=1, seed=0)
    test = make_canvases(pixels, labels, n=16, size=16, items=1, seed=1)
    torch.manual_seed(0)
    model = unet(num_classes=3, widths=(4, 8))
    result = fit_segmentation(model, train, test, epochs=8, lr=1e-2, batch_size=16, progress=False,
                              verbose=False, device="cpu")
    assert result.losses[-1] < result.losses[0]
    assert result.pixel_acc > 0.9
    pred = predict_masks(model, test.images)
    scores = score_segmentation(pred, test.masks, 3)
    assert scores["pixel_acc"] == pytest.approx(result.pixel_acc)
    assert scores["miou"] == pytest.approx(result.miou)


def test_fit_segmentation_stops_loudly_on_bad_input():
    from cnnlib.canvas import Canvases
    from cnnlib.train import TrainingDiverged

    pixels = torch.zeros(2, 1, 8, 8)
    pixels[:, 0, 2:6, 2:6] = 1.0
    train = make_canvases(pixels, torch.tensor([0, 1]), n=8, size=16, items=1, seed=0)
    model = unet(num_classes=3, widths=(4, 8))
    with pytest.raises(ValueError, match="epochs must be a whole number"):
        fit_segmentation(model, train, train, epochs=0, progress=False, device="cpu")
    with pytest.raises(ValueError, match="lr must be a finite positive number"):
        fit_segmentation(model, train, train, epochs=1, lr=float("nan"), progress=False, device="cpu")
    broken = Canvases(**{**vars(train), "images": train.images.clone()})
    broken.images[0, 0, 0, 0] = float("nan")                # a damaged pixel
    with pytest.raises(TrainingDiverged, match="loss became NaN at epoch 1") as error:
        fit_segmentation(model, broken, train, epochs=2, batch_size=8, progress=False, device="cpu")
    assert error.value.epoch == 1 and error.value.history.losses == []

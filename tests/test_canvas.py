"""The canvas generator: shapes, reproducibility, masks and boxes agree, bad input is refused."""

import pytest
import torch

from cnnlib.canvas import boxes_from_segmentation, connected_components, make_canvases, mask_box


def toy_items(n: int = 20, side: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """Filled squares of different sizes (value 1) on a blank 8x8 item, label = index % 3."""
    pixels = torch.zeros(n, 1, side, side)
    for i in range(n):
        k = 2 + i % (side - 2)
        pixels[i, 0, 1:1 + k, 1:1 + k] = 1.0
    return pixels, torch.arange(n) % 3


def test_shapes_and_types():
    pixels, labels = toy_items()
    c = make_canvases(pixels, labels, n=12, size=24, items=(1, 3), seed=0)
    assert c.images.shape == (12, 1, 24, 24) and c.images.dtype == torch.float32
    assert c.masks.shape == (12, 24, 24) and c.masks.dtype == torch.int64
    assert len(c.boxes) == len(c.labels) == 12
    assert all(b.shape == (len(lab), 4) for b, lab in zip(c.boxes, c.labels, strict=True))
    assert all(1 <= len(lab) <= 3 for lab in c.labels)
    assert c.mask_classes == ["background", "0", "1", "2"]
    assert 0 <= float(c.images.min()) and float(c.images.max()) <= 1


def test_same_seed_same_canvases_other_seed_other():
    pixels, labels = toy_items()
    a = make_canvases(pixels, labels, n=8, size=24, seed=3)
    b = make_canvases(pixels, labels, n=8, size=24, seed=3)
    c = make_canvases(pixels, labels, n=8, size=24, seed=4)
    assert torch.equal(a.images, b.images) and torch.equal(a.masks, b.masks)
    assert all(torch.equal(x, y) for x, y in zip(a.boxes, b.boxes, strict=True))
    assert not torch.equal(a.masks, c.masks)


def test_masks_boxes_and_labels_agree():
    pixels, labels = toy_items()
    c = make_canvases(pixels, labels, n=30, size=32, items=(1, 3), seed=1)
    for image, mask, boxes, labs in zip(c.images, c.masks, c.boxes, c.labels, strict=True):
        # foreground pixels are exactly the bright ones (the items are 0/1 squares)
        assert torch.equal(mask > 0, image[0] > 0.3)
        covered = torch.zeros_like(mask, dtype=torch.bool)
        for box, lab in zip(boxes, labs, strict=True):
            x1, y1, x2, y2 = (int(v) for v in box)
            inside = mask[y1:y2, x1:x2]
            assert (inside == lab + 1).all()  # squares fill their tight box
            assert mask_box(inside > 0).tolist() == [0, 0, x2 - x1, y2 - y1]
            covered[y1:y2, x1:x2] = True
        assert not (mask[~covered] > 0).any()  # no foreground outside the boxes


def test_items_do_not_touch():
    pixels, labels = toy_items()
    c = make_canvases(pixels, labels, n=20, size=32, items=3, seed=2, gap=1)
    for boxes in c.boxes:
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                apart = a[2] + 1 <= b[0] or b[2] + 1 <= a[0] or a[3] + 1 <= b[1] or b[3] + 1 <= a[1]
                assert apart


def test_to_image_data_needs_one_item():
    pixels, labels = toy_items()
    one = make_canvases(pixels, labels, n=5, size=16, items=1, seed=0).to_image_data()
    assert one.images.shape == (5, 1, 16, 16) and one.labels.shape == (5,)
    assert torch.equal(one.denormalize(one.images), one.images)
    with pytest.raises(ValueError, match="exactly one item"):
        make_canvases(pixels, labels, n=5, size=24, items=2, seed=0).to_image_data()


@pytest.mark.parametrize("kwargs, match", [
    (dict(size=4), "smaller than an item"),
    (dict(items=(3, 1)), "items must be"),
])
def test_bad_arguments(kwargs, match):
    pixels, labels = toy_items()
    with pytest.raises(ValueError, match=match):
        make_canvases(pixels, labels, n=2, **kwargs)


def test_normalised_pixels_are_refused():
    pixels, labels = toy_items()
    with pytest.raises(ValueError, match="denormalize"):
        make_canvases(pixels - 0.5, labels, n=2)


def test_mask_box_and_components():
    mask = torch.zeros(6, 7, dtype=torch.bool)
    mask[1:3, 1:3] = True        # region A
    mask[4, 5] = mask[5, 6] = True  # region B: diagonal neighbours are connected (8-connectivity)
    assert mask_box(mask[:3]).tolist() == [1, 1, 3, 3]
    regions = connected_components(mask)
    assert regions.max() == 2 and (regions[~mask] == 0).all()
    assert len(regions[1:3, 1:3].unique()) == 1 and regions[4, 5] == regions[5, 6] != regions[1, 1]
    assert connected_components(torch.ones(3, 3, dtype=torch.bool)).unique().tolist() == [1]
    with pytest.raises(ValueError, match="no True pixel"):
        mask_box(torch.zeros(3, 3, dtype=torch.bool))


def test_boxes_from_segmentation():
    pred = torch.zeros(10, 10, dtype=torch.int64)
    pred[1:4, 1:5] = 3
    pred[2, 2] = 2                # one odd pixel: the region's class is its majority
    pred[6:9, 6:9] = 1
    pred[0, 9] = 1                # a speck below min_area is dropped
    boxes, labels = boxes_from_segmentation(pred, min_area=2)
    order = boxes[:, 0].argsort()
    assert boxes[order].tolist() == [[1, 1, 5, 4], [6, 6, 9, 9]]
    assert labels[order].tolist() == [2, 0]


def test_show_canvases_is_legible():
    import matplotlib.pyplot as plt

    from cnnlib.canvas import show_canvases
    from cnnlib.style import legibility_problems

    pixels, labels = toy_items()
    c = make_canvases(pixels, labels, n=8, size=24, seed=0)
    fig = show_canvases(c.images, c.masks, boxes=c.boxes, labels=c.labels, classes=c.classes,
                        rows={"prediction": c.masks})
    assert legibility_problems(fig) == []
    plt.close(fig)

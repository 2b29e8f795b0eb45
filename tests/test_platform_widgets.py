"""cnnlib.widgets: one draw function gives a live view and a static player."""

import pytest

from cnnlib.diagrams import draw_conv_window
from cnnlib.widgets import Explorer, ExplorerView


def make() -> Explorer:
    return Explorer(draw_conv_window, dict(size=(3, 9), kernel_size=(1, 5), stride=(1, 3),
                                           padding=(0, 2), dilation=(1, 3), position=(0, 48)),
                    defaults=dict(size=7, kernel_size=3), dpi=40)


def test_live_view_has_sliders_and_a_picture():
    view = make().live()
    assert isinstance(view, ExplorerView)
    sliders, message, image = view.children
    assert len(sliders.children) == 6 and image.value[:4] == b"\x89PNG"
    assert "Run this notebook" in repr(view)


def test_impossible_setting_is_explained_not_raised():
    view = make().live()
    sliders, message, _ = view.children
    sliders.children[0].value = 3   # size 3 ...
    sliders.children[1].value = 5   # ... with a 5x5 kernel and no padding does not fit
    assert "Not possible" in message.value


def test_static_player_has_one_frame_per_state():
    html = make().static([dict(position=0), dict(position=1), dict(stride=2)]).data
    assert 'class="cnnlib-player"' in html and "anim" in html


def test_static_needs_a_tour():
    with pytest.raises(ValueError, match="tour"):
        make().static([])


def test_grouped_connectivity_needs_shuffle_to_mix():
    from cnnlib.diagrams import grouped_connectivity

    assert grouped_connectivity(2, 3, shuffle=False).sum(1).tolist() == [4] * 8  # stays block-diagonal
    assert grouped_connectivity(2, 2, shuffle=True).all()  # one shuffle mixes g=2 fully
    with pytest.raises(ValueError, match="divisible"):
        grouped_connectivity(3, 1, shuffle=False)

"""cnnlib.widgets: one draw function gives a live view and a static player."""

import pytest

from cnnlib.diagrams import draw_conv_window
from cnnlib.widgets import Explorer, ExplorerView


def make() -> Explorer:
    return Explorer(draw_conv_window, dict(size=(3, 9), kernel_size=(1, 5), stride=(1, 3),
                                           padding=(0, 2), dilation=(1, 3), position=(0, 48)),
                    defaults=dict(size=7, kernel_size=3), figsize=(8, 3.4))


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


def test_illegible_figures_are_refused():
    import pytest
    from matplotlib.figure import Figure

    from cnnlib.style import legibility_problems

    with pytest.raises(ValueError, match="dpi=60"):
        Explorer(draw_conv_window, {"size": (3, 9)}, dpi=60)
    too_wide = Explorer(draw_conv_window, {"size": (3, 9)}, figsize=(16, 4))
    with pytest.raises(ValueError, match="not legible"):
        too_wide.static([{"size": 7}])
    fig = Figure(figsize=(6, 3), dpi=100)
    ax = fig.add_subplot()
    ax.set_title("small", fontsize=6)
    ax.axis("off")
    assert [p for p in legibility_problems(fig) if "small" in p]  # 6 pt is flagged
    ax.set_title("fine", fontsize=10)
    assert legibility_problems(fig) == []  # hidden axes' tick labels do not count

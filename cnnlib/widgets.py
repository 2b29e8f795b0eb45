"""One interactive figure, two ways: sliders in a live kernel, a JavaScript player in the static book.

`Explorer(draw, controls)` takes a function that draws one state of a figure. `.live()`
gives ipywidgets sliders that redraw it (Jupyter, Colab: works with ipywidgets 7 and 8);
`.static(tour)` renders a few chosen states as a matplotlib animation that plays in the
built website, where no Python runs. Introduced in chapter 1.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
from IPython.display import HTML
from matplotlib.animation import FuncAnimation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cnnlib.style import legibility_problems

MIN_DPI = 100  # below this, text in the book is too small to read
# A control is (min, max), (min, max, step) for an int slider, a list of choices, or a bool.
Control = tuple | list | bool
DrawFn = Callable[..., None]  # draw(fig, **params): draw one state into an empty figure


class ExplorerView(widgets.VBox):
    """The live view. Where widgets cannot render (the static book) it shows a note instead."""

    description = ""

    def __repr__(self) -> str:
        return (f"[Interactive explorer with sliders for: {self.description}. "
                "Run this notebook in Jupyter or Colab to use them.]")

    def _ipython_display_(self) -> None:
        # Works with ipywidgets 7 and 8: a live frontend renders the widget view; the book,
        # which has no kernel, falls back to the HTML note (the player below still plays).
        from IPython.display import display

        note = (f'<p class="cnnlib-live-note">&#127899; <b>Interactive explorer</b> (sliders for '
                f"{self.description}): run this page in Colab or Jupyter to use it. "
                "The player below shows a tour of it.</p>")
        view = {"version_major": 2, "version_minor": 0, "model_id": self.model_id}
        display({"text/plain": repr(self), "text/html": note,
                 "application/vnd.jupyter.widget-view+json": view}, raw=True)


def _make_control(name: str, spec: Control, value: Any) -> widgets.Widget:
    style = {"description_width": "initial"}
    label = name.replace("_", " ")
    if isinstance(spec, bool):
        return widgets.Checkbox(value=bool(value), description=label, style=style)
    if isinstance(spec, list):
        return widgets.Dropdown(options=spec, value=value, description=label, style=style)
    if isinstance(spec, tuple) and len(spec) in (2, 3):
        low, high, step = (*spec, 1) if len(spec) == 2 else spec
        return widgets.IntSlider(value=value, min=low, max=high, step=step, description=label,
                                 continuous_update=False, style=style)
    raise ValueError(f"Control {name!r}: use (min, max[, step]), a list of choices or a bool, got {spec!r}.")


class Explorer:
    """Draw function + controls -> `.live()` sliders and `.static(tour)` player from the same code."""

    def __init__(self, draw: DrawFn, controls: Mapping[str, Control],
                 defaults: Mapping[str, Any] | None = None,
                 figsize: tuple[float, float] = (8, 4), dpi: int = 100) -> None:
        if dpi < MIN_DPI:
            raise ValueError(f"dpi={dpi} is below {MIN_DPI}: text would be too small to read in the book; "
                             "keep the default and use fewer tour frames if the notebook grows too large.")
        self.draw, self.controls = draw, dict(controls)
        self.defaults = {name: self._first(spec) for name, spec in self.controls.items()}
        self.defaults.update(defaults or {})
        self.figsize, self.dpi = figsize, dpi

    @staticmethod
    def _first(spec: Control) -> Any:
        if isinstance(spec, bool):
            return spec
        return spec[0]

    def figure(self, **params: Any) -> Figure:
        """One state as a standalone figure (not shown by pyplot)."""
        fig = Figure(figsize=self.figsize, dpi=self.dpi)
        FigureCanvasAgg(fig)
        self.draw(fig, **{**self.defaults, **params})
        return fig

    def png(self, **params: Any) -> bytes:
        """One state rendered to PNG bytes."""
        buffer = io.BytesIO()
        self.figure(**params).savefig(buffer, format="png")
        return buffer.getvalue()

    def live(self) -> ExplorerView:
        """Sliders that redraw the figure; needs a running kernel (Jupyter, Colab)."""
        controls = {name: _make_control(name, spec, self.defaults[name])
                    for name, spec in self.controls.items()}
        image = widgets.Image(format="png")
        message = widgets.HTML()

        def redraw(_change=None) -> None:
            params = {name: control.value for name, control in controls.items()}
            try:
                image.value = self.png(**params)
                message.value = ""
            except ValueError as error:  # an impossible setting: say why instead of failing
                message.value = f"<b>Not possible:</b> {error}"

        for control in controls.values():
            control.observe(redraw, names="value")
        redraw()
        view = ExplorerView([widgets.HBox(list(controls.values()), layout={"flex_flow": "row wrap"}),
                             message, image])
        view.description = ", ".join(self.controls)
        return view

    def static(self, tour: Sequence[Mapping[str, Any]], fps: float = 1.0) -> HTML:
        """The states in `tour` as an animation with play/step buttons; plays without a kernel."""
        if not tour:
            raise ValueError("tour must list at least one state (a dict of control values).")
        fig = Figure(figsize=self.figsize, dpi=self.dpi)
        FigureCanvasAgg(fig)

        def frame(i: int):
            fig.clear()
            self.draw(fig, **{**self.defaults, **tour[i]})
            return []

        frame(0)
        problems = legibility_problems(fig)
        if problems:
            raise ValueError("this explorer's figure is not legible at book width: " + "; ".join(problems[:3])
                             + " - use larger fonts (>= 9 pt) or a narrower figsize.")
        animation = FuncAnimation(fig, frame, frames=len(tour), interval=1000 / fps, blit=False)
        html = animation.to_jshtml(fps=fps, default_mode="loop")
        # Marked so the tests compare it like an image (not at all): its ids are random.
        return HTML(f'<div class="cnnlib-player">{html}</div><!-- /cnnlib-player -->')

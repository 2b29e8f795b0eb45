"""One figure style for the whole book, and a check that a figure is legible at book width.

The book's text column is about 800 px wide. A figure wider than that is scaled down, and so
is its text, so legibility depends on the figure's size, its dpi and its font sizes together:
`legibility_problems` measures text as it will appear on the page. `book_style` is applied
when cnnlib is imported, so every chapter draws with dpi >= 100 and text >= 9 pt.
"""

from __future__ import annotations

from typing import Any

BOOK_WIDTH_PX = 800  # the book's content column at 100% zoom
MIN_TEXT_PX = 12.0  # about 9 pt at 100 dpi (8.6 pt): the smallest text we accept on the page
BOOK_RC: dict[str, Any] = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 11,
}


def book_style() -> None:
    """Apply the book's matplotlib defaults (imported matplotlib only; pyplot is not loaded)."""
    import matplotlib

    matplotlib.rcParams.update(BOOK_RC)


def display_scale(fig) -> float:
    """How much the book shrinks `fig` to fit its column (1.0 when it fits)."""
    width_px = fig.get_figwidth() * fig.dpi
    return min(1.0, BOOK_WIDTH_PX / width_px)


def _drawn_texts(artist) -> list:
    """Visible text artists that a draw would actually render (hidden axes' tick labels skipped)."""
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.text import Text

    if not artist.get_visible():
        return []
    found = [artist] if isinstance(artist, Text) and str(artist.get_text()).strip() else []
    for child in artist.get_children():
        if isinstance(artist, Axes) and isinstance(child, Axis) and not artist.axison:
            continue  # ax.axis("off"): its tick labels are never drawn
        found += _drawn_texts(child)
    return found


def legibility_problems(fig) -> list[str]:
    """Texts of `fig` smaller than 9 pt once shown at book width, and a dpi below 100; [] if fine."""
    problems = []
    if fig.canvas is not None:
        fig.canvas.draw()  # tick labels get their text only when drawn
    if fig.dpi < 100:
        problems.append(f"figure dpi {fig.dpi:g} < 100")
    scale = display_scale(fig)
    for text in _drawn_texts(fig):
        px = text.get_fontsize() * fig.dpi / 72 * scale
        if px < MIN_TEXT_PX - 1e-6:
            problems.append(f"text {str(text.get_text())[:20]!r} is {px:.1f} px high on the page "
                            f"(needs {MIN_TEXT_PX}: larger font, or a narrower figure)")
    return problems

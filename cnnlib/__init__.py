"""cnnlib: the small shared library of the CNN course.

Chapters import what they need from the submodules (`cnnlib.data`, `cnnlib.train`,
`cnnlib.plot`, `cnnlib.widgets`, `cnnlib.ops`, ...); this top level only re-exports the
runtime switches every chapter uses.
"""

from cnnlib.runtime import budget, by_budget, pick_device, seed_everything
from cnnlib.style import book_style

book_style()  # every chapter draws at dpi >= 100 with text >= 9 pt

__version__ = "0.1.0"
__all__ = ["budget", "by_budget", "pick_device", "seed_everything", "__version__"]

"""Drawing PNGs without pyplot: no backend switch, no global figure state.

``matplotlib.pyplot`` keeps a global list of figures and a process-wide backend; calling
``matplotlib.use("Agg")`` from a library would switch a notebook's backend under its user, and
pyplot is not safe to use from several server threads. A :class:`matplotlib.figure.Figure`
drawn on its own Agg canvas needs neither.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rnnkit.core.files import atomic_file


def new_figure(width: float, height: float) -> Any:
    """A figure of ``width`` x ``height`` inches on its own Agg canvas (not known to pyplot).

    Example:
        >>> fig = new_figure(4, 3)
        >>> ax = fig.subplots()
        >>> fig.get_size_inches().tolist()
        [4.0, 3.0]
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def save_png(fig: Any, path: str | Path, dpi: int = 120) -> Path:
    """Write ``fig`` as a PNG at ``path`` atomically (a reader never sees half a file)."""
    path = Path(path)
    with atomic_file(path) as fh:
        fig.savefig(fh, format="png", dpi=dpi)
    return path

"""Internal plotting helpers shared by the library's plots (not public API)."""

from __future__ import annotations


def readable_log_axis(ax, lo: float, hi: float) -> None:
    """Log-scale x axis with plain-number tick labels (0.2, 1, 5 instead of 2x10^-1)."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.set_xscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.xaxis.set_major_formatter(plain)
    # Label minor ticks only when the axis spans less than about a decade (else they crowd).
    ax.xaxis.set_minor_formatter(plain if hi / max(lo, 1e-12) < 20 else NullFormatter())

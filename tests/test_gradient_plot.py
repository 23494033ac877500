"""The typology's key figure: provinces ordered by their score, coloured by region, cut where a partition cuts."""

import matplotlib
import numpy as np
import pandas as pd

from ruralrev.present.figures import gradient
from ruralrev.present.style import REGION_COLOURS

matplotlib.use("Agg")


def test_rows_are_ordered_by_score_coloured_by_region_and_cut_where_asked():
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    scores = pd.Series([2.0, -1.0, 0.5, 3.0], index=["a", "b", "c", "d"])
    regions = pd.Series(["East", "West", "Central", "East"], index=scores.index)
    fig = gradient.plot_gradient(scores, regions, "title", "score", cuts=[2], cut_label="cut")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "c", "a", "d"]   # lowest at the bottom
    dots = ax.collections[-1]
    assert [to_hex(c) for c in dots.get_facecolors()] == [to_hex(REGION_COLOURS[r]) for r in ["West", "Central", "East", "East"]]
    assert np.allclose(dots.get_offsets()[:, 0], [-1.0, 0.5, 2.0, 3.0])
    lines = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(lines) == 1 and lines[0].get_ydata()[0] == 1.5                     # below the top two rows
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["East", "Central", "West"]
    assert [t.get_text() for t in ax.texts] == ["cut"]
    plt.close(fig)

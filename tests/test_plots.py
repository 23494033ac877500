import matplotlib
import numpy as np
import pytest

from ruralrev.data import official
from ruralrev.present import style
from ruralrev.present.figures import clustering as clustering_figures
from ruralrev.present.figures import inequality as inequality_figures
from ruralrev.present.figures import regression as regression_figures
from ruralrev.stats import convergence

matplotlib.use("Agg")


def _boxes(ax):
    renderer = ax.figure.canvas.get_renderer()
    return [text.get_window_extent(renderer) for text in ax.texts]


def _overlapping(boxes):
    return [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1]


def test_labels_never_overlap_and_extremes_are_named_first():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(1)
    x = np.r_[rng.normal(0, 0.05, 40), 3.0]          # a tight cloud and one outlier
    y = np.r_[rng.normal(0, 0.05, 40), 3.0]
    names = [f"province {i}" for i in range(40)] + ["outlier"]
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter(x, y)
    ax.margins(0.2)
    placed = style.label_points(ax, x, y, names)
    fig.canvas.draw()
    boxes = _boxes(ax)
    assert _overlapping(boxes) == []
    inside = ax.get_window_extent(fig.canvas.get_renderer())
    assert all(b.x0 >= inside.x0 and b.x1 <= inside.x1 and b.y0 >= inside.y0 and b.y1 <= inside.y1 for b in boxes)
    assert placed[0].get_text() == "outlier"
    assert 1 < len(placed) < 41                       # the crowded cloud keeps only some names
    plt.close(fig)


def test_unnamed_points_are_avoided_not_labelled():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.scatter([0, 1, 2], [0, 1, 2])
    ax.margins(0.3)
    placed = style.label_points(ax, [0, 1, 2], [0, 1, 2], ["a", "", "c"])
    assert sorted(t.get_text() for t in placed) == ["a", "c"]
    plt.close(fig)


def _beta_scatter():
    panel = official.load_panel()
    result = convergence.beta_convergence(panel, "rural_income", 2016, 2024)
    fig = inequality_figures.plot_beta_convergence(result, list(result.result.model.data.row_labels), "t")
    fig.canvas.draw()
    return fig


def test_beta_convergence_scatter_names_provinces_without_overlap():
    import matplotlib.pyplot as plt

    fig = _beta_scatter()
    assert _overlapping(_boxes(fig.axes[0])) == []
    plt.close(fig)


@pytest.mark.snapshot
def test_beta_convergence_scatter_names_most_provinces_and_the_two_farthest_from_the_line():
    import matplotlib.pyplot as plt

    fig = _beta_scatter()
    named = {t.get_text() for t in fig.axes[0].texts}
    assert len(named) >= 15 and {"Tibet", "Tianjin"} <= named    # the two farthest from the line
    plt.close(fig)


@pytest.mark.parametrize("rows", [5, 7])
def test_k_selection_panels_wrap_two_per_row(rows):
    import matplotlib.pyplot as plt
    import pandas as pd

    k = list(range(2, 2 + rows))
    selection = pd.DataFrame({"k": k, "silhouette": np.linspace(.5, .3, rows), "calinski_harabasz": k,
                              "davies_bouldin": k, "gap": k, "gap_se": [.1] * rows, "gmm_bic": k})
    fig = clustering_figures.plot_k_selection(selection, 3)
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(visible) == 5 and fig.get_size_inches()[0] <= 8
    assert all(ax.get_xticklabels() for ax in visible)
    plt.close(fig)


def test_coefficient_plot_has_one_row_per_model_and_marks_significance():
    import pandas as pd

    rows = pd.DataFrame({"model": ["a", "b", "c"], "coef": [0.01, 0.004, -0.002], "se": [0.003, 0.004, 0.001],
                         "p_wild": [0.01, 0.3, 0.04]})
    fig = regression_figures.plot_coefficients(rows, "Coefficient", "Title")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["c", "b", "a"]      # first model on top
    filled, hollow = ax.collections[1], ax.collections[2]
    assert len(filled.get_offsets()) == 2 and len(hollow.get_offsets()) == 1


def test_coefficient_plot_draws_given_intervals_when_rows_carry_them():
    """The disparities chapter draws the cluster jackknife's t(G − 1) intervals,
    the intervals of its text, rather than ± 1.96 clustered s.e."""
    import pandas as pd

    rows = pd.DataFrame({"model": ["a", "b"], "coef": [0.01, 0.004], "se": [0.003, 0.004],
                         "low": [0.002, -0.006], "high": [0.018, 0.014], "p_wild": [0.01, 0.3]})
    fig = regression_figures.plot_coefficients(rows, "Coefficient", "Title")
    segments = fig.axes[0].collections[0].get_segments()           # the error bars, last model first
    ends = sorted((round(float(s[0][0]), 6), round(float(s[1][0]), 6)) for s in segments)
    assert ends == [(-0.006, 0.014), (0.002, 0.018)]
    matplotlib.pyplot.close(fig)

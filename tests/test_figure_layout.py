"""Figures that read on a phone: the book's style sets the sizes every figure inherits, no figure
function draws text below the book's smallest font or wider than the book's width, long titles
wrap, and seaborn and mapclassify draw what the package computed.

The browser test (``tests/test_browser.py``) measures the same figures as the built pages show
them; these tests catch a figure function that breaks the rule before a book is built.
"""

import matplotlib
import numpy as np
import pandas as pd
import pytest

from ruralrev.book import figure_data
from ruralrev.data import official
from ruralrev.present import maps, style
from ruralrev.present.figures import inequality as inequality_figures
from ruralrev.present.figures import papers as paper_figures
from ruralrev.present.figures import regression as regression_figures
from ruralrev.present.figures import spatial as spatial_figures
from ruralrev.stats import convergence
from ruralrev.stats.spatial import dynamics, neighbours

matplotlib.use("Agg")

#: What a phone shows: the text column is 342 CSS px wide (measured in Chromium at 390 px).
PHONE_COLUMN_PX = 342


@pytest.fixture(autouse=True)
def _close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


@pytest.fixture(scope="module")
def panel():
    return official.load_panel()


@pytest.fixture(scope="module")
def chains(panel):
    w = neighbours.province_weights()
    relative = dynamics.relative_values(panel, "rural_income", range(2016, 2025), list(w.id_order))
    return relative, dynamics.markov_chains(relative, w, 4)


def _phone_px(figure) -> float:
    """The smallest text of a figure in CSS px on a phone: the saved image (tight box plus its
    margin) is shrunk to the phone's column."""
    smallest = min(size for size, _ in style.drawn_font_sizes(figure))
    renderer = figure.canvas.get_renderer()
    width_in = figure.get_tightbbox(renderer).width + 2 * matplotlib.rcParams["savefig.pad_inches"]
    return smallest / 72 * PHONE_COLUMN_PX / max(width_in, PHONE_COLUMN_PX / style.DPI)


def _figures(panel, chains):
    """One of each kind of figure, drawn from the package's own results (name, figure)."""
    relative, markov = chains
    beta = convergence.beta_convergence(panel, "rural_income", 2016, 2024)
    rows = pd.DataFrame({"model": ["main model", "main model, weighted", "split, all provinces at national breaks"],
                         "coef": [0.009, 0.007, 0.004], "se": [0.003, 0.002, 0.003], "p_wild": [0.001, 0.004, 0.16]})
    income = official.indicator_values(panel, "rural_income", 2023)
    series = pd.DataFrame({"year": [2016, 2020, 2024], "theil_between": [.017, .015, .015],
                           "theil_within": [.012, .013, .012], "gini_within": [.02, .02, .02],
                           "gini_net_between": [.10, .09, .09], "gini_transvariation": [.002, .002, .002]})
    survey = pd.DataFrame({"area": ["Education"] * 2 + ["Health"] * 2,
                           "item": ["Shortage of teachers in village schools and their low pay and training",
                                    "Poor facilities", "Few doctors", "Medicines too expensive for many households"],
                           "value": [60.0, 30.0, 45.0, 20.0]})
    yield "beta", inequality_figures.plot_beta_convergence(beta, list(beta.result.model.data.row_labels),
                                                           "A long chapter title that states its finding in full words")
    yield "coefficients", regression_figures.plot_coefficients(
        rows, "Coefficient of Urbanization (%) on log rural income (log points per point)", "Many specifications")
    yield "decomposition", inequality_figures.plot_decomposition(
        series, "Inequality of rural residents' per-capita disposable income across provinces")
    yield "survey", paper_figures.plot_survey_items(survey, threshold=50)
    yield "densities", spatial_figures.plot_densities(dynamics.kernel_densities(relative), "ratio", "Densities").figure
    yield "transitions", spatial_figures.plot_transitions(markov, "Markov chains of relative rural income, 2016–2024")
    yield "map", maps.choropleth(income, "Rural per-capita disposable income, 2023", "yuan per person",
                                 source="NBS annual data by province; map: Natural Earth").figure
    yield "classed map", maps.choropleth(income, "Rural income, 2023", "yuan per person", classes=5).figure


def test_every_kind_of_figure_reads_on_a_phone(panel, chains):
    """No text below the book's smallest font; the image no wider than the book's width (plus its
    margin), so the smallest text is at least 9 CSS px in a phone's 342 px column."""
    for name, figure in _figures(panel, chains):
        sizes = style.drawn_font_sizes(figure)
        assert min(size for size, _ in sizes) >= style.SMALLEST_FONT, (name, min(sizes))
        assert figure.get_figwidth() == pytest.approx(style.WIDTH), name
        renderer = figure.canvas.get_renderer()
        assert figure.get_tightbbox(renderer).width <= style.WIDTH + 0.01, name   # nothing runs off the right
        assert _phone_px(figure) >= 9.0, (name, _phone_px(figure))


def test_the_old_sizes_would_have_failed_the_phone():
    """The check can fail: an 8-inch figure with 7-point text (the landing map before) is 4–5 px."""
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(8, 6))
    ax.set_title("t", fontsize=7)
    ax.plot([0, 1], [0, 1])
    ax.tick_params(labelsize=7)
    assert _phone_px(figure) < 6.0


def test_drawn_font_sizes_count_only_what_is_drawn():
    import matplotlib.pyplot as plt

    figure, (shown, hidden) = plt.subplots(1, 2)
    shown.set_title("shown", fontsize=13)
    shown.tick_params(labelsize=12)
    hidden.set_axis_off()
    hidden.tick_params(labelsize=3)                  # tick labels of an axis switched off are not drawn
    shown.text(0, 0, "invisible", fontsize=2, visible=False)
    sizes = style.drawn_font_sizes(figure)
    assert (13.0, "shown") in sizes and min(size for size, _ in sizes) == 12.0


def test_the_figure_record_carries_the_layout():
    figure = maps.choropleth(pd.Series({"Beijing": 1.0}), "t", "u").figure
    layout = figure_data.extract(figure)["layout"]
    assert layout == {"width_in": style.WIDTH, "height_in": pytest.approx(maps.MAP_HEIGHT, abs=1e-3),
                      "smallest_font_pt": style.SMALLEST_FONT}


def test_long_text_wraps_to_the_width():
    text = "Inequality of rural residents' per-capita disposable income across provinces"
    wrapped = style.wrap_to_width(text, 3.0, 12)
    lines = wrapped.split("\n")
    assert len(lines) >= 2 and " ".join(lines) == text
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    widths = [TextToPath().get_text_width_height_descent(line, FontProperties(size=12), ismath=False)[0] / 72
              for line in lines]
    assert max(widths) <= 3.0
    assert style.wrap_to_width("short", 3.0, 12) == "short"
    assert style.wrap_to_width("a\nb", 3.0, 12) == "a\nb"


def test_finish_wraps_a_label_pushed_off_by_long_tick_labels():
    """A label that fit the default layout no longer fits once long tick labels take the room."""
    figure, ax = style.book_figure()
    ax.set_yticks([0, 1], ["a very long model name that takes room", "another long one"])
    ax.set_xlabel("Coefficient of Urbanization (%) on log rural income")
    style.finish(figure)
    assert "\n" in ax.get_xlabel()
    renderer = figure.canvas.get_renderer()
    assert figure.get_tightbbox(renderer).width <= style.WIDTH + 0.01


def test_retina_pngs_in_a_kernel():
    """In IPython the style asks the inline backend for pixel-doubled PNGs that carry their width."""
    from IPython.core.interactiveshell import InteractiveShell
    from matplotlib_inline.config import InlineBackend

    shell = InteractiveShell.instance()
    try:
        style.set_book_style()
        assert InlineBackend.instance().figure_formats == {"retina"}
        from IPython.core.pylabtools import retina_figure

        figure, _ = style.book_figure()
        png, metadata = retina_figure(figure)
        from PIL import Image
        import io

        assert Image.open(io.BytesIO(png)).size[0] == 2 * metadata["width"]
        assert metadata["width"] <= style.WIDTH * style.DPI
    finally:
        InteractiveShell.clear_instance()
        InlineBackend.clear_instance()


def test_the_recording_printer_is_installed_once_in_a_shell():
    """figure_data wraps the shell's PNG printer of figures (once) and the figure record then
    takes its fonts from the PNG's draw."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats
    from matplotlib.figure import Figure

    shell = InteractiveShell.instance()
    try:
        select_figure_formats(shell, {"retina"})
        png = shell.display_formatter.formatters["image/png"]
        assert not getattr(png.lookup_by_type(Figure), "ruralrev_recording", False)
        figure_data._record_text_with_the_png(shell)
        wrapped = png.lookup_by_type(Figure)
        figure_data._record_text_with_the_png(shell)
        assert wrapped.ruralrev_recording and png.lookup_by_type(Figure) is wrapped
        figure, ax = style.book_figure()
        ax.set_title("a title")
        wrapped(figure)
        assert (style.FONT + 1, "a title") in getattr(figure, figure_data._DRAWN)
    finally:
        InteractiveShell.clear_instance()


def test_the_end_of_cell_draw_is_skipped_only_with_the_inline_backend(monkeypatch):
    """pyplot's end-of-cell draw of every figure goes with the inline backend (which renders each
    figure right after it), and stays with any other backend (an interactive window needs it)."""
    import matplotlib.pyplot as plt
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        for backend, kept in (("agg", True), ("module://matplotlib_inline.backend_inline", False)):
            if plt._draw_all_if_interactive not in shell.events.callbacks["post_execute"]:
                shell.events.register("post_execute", plt._draw_all_if_interactive)
            monkeypatch.setattr(matplotlib, "get_backend", lambda: backend)
            style.skip_cell_end_draw()
            assert (plt._draw_all_if_interactive in shell.events.callbacks["post_execute"]) is kept, backend
    finally:
        InteractiveShell.clear_instance()


def test_the_transition_heat_map_shows_probabilities_counts_and_empty_rows(chains):
    """The heat map of the quantile Markov matrix: each cell's probability and count as the chains
    computed them; a row no province left from is marked '–'; text readable on its cell."""
    from matplotlib.colors import to_rgb

    _, markov = chains
    figure = spatial_figures.plot_transitions(markov, "t")
    whole = figure.axes[0]
    texts = [t.get_text() for t in whole.texts]
    k = markov.k
    assert len(texts) == k * k
    expected = [f"{markov.probabilities.iat[i, j]:.2f}\n({markov.counts.iat[i, j]})" for i in range(k) for j in range(k)]
    assert texts == expected
    np.testing.assert_allclose(whole.collections[0].get_array().reshape(k, k), markov.probabilities.to_numpy())
    empty = [(lag, probabilities) for lag, probabilities in markov.spatial_probabilities.items()
             if probabilities.isna().all(axis=1).any()]
    assert empty, "the default chains have a class no province left from"
    lag, probabilities = empty[0]
    ax = next(a for a in figure.axes if a.get_title(loc="left") == f"Neighbours in {lag}")
    blank_rows = int(probabilities.isna().all(axis=1).sum())
    assert [t.get_text() for t in ax.texts].count("–") == blank_rows * k
    # white on the darkest cells, dark on the palest (contrast at least 4.5 : 1, WCAG 2)
    colours = {t.get_text(): t.get_color() for t in whole.texts}
    darkest = expected[int(np.nanargmax(markov.probabilities.to_numpy()))]
    palest = expected[int(np.nanargmin(markov.probabilities.to_numpy()))]
    assert to_rgb(colours[darkest]) == (1.0, 1.0, 1.0) and to_rgb(colours[palest]) != (1.0, 1.0, 1.0)


def _draws(figure) -> list:
    seen = []
    figure.canvas.mpl_connect("draw_event", lambda event: seen.append(event))
    return seen


def test_figures_are_not_drawn_while_they_are_built(chains):
    """A choropleth (geopandas ends every layer with ``plt.draw()``) and the transition matrices
    (seaborn's heat map drew the figure once per panel) are drawn once, when shown, not before."""
    import matplotlib.pyplot as plt

    _, markov = chains
    figure, ax = maps.map_figure()
    seen = _draws(figure)
    maps.choropleth(pd.Series({"Beijing": 1.0, "Hebei": 2.0}), "t", "u", ax=ax)
    maps.choropleth(pd.Series({"Beijing": "a", "Hebei": "b"}), "t", "u", ax=ax, categorical=True)
    assert seen == []
    plt.draw()                                    # outside the building block plt.draw() still draws
    assert len(seen) == 1
    original = plt.subplots

    def subplots(*args, **kwargs):
        built = original(*args, **kwargs)
        record.append(_draws(built[0]))
        return built

    record = []
    plt.subplots = subplots
    try:
        spatial_figures.plot_transitions(markov, "t")
    finally:
        plt.subplots = original
    assert record == [[]]


def test_the_font_sizes_are_those_of_a_real_draw(panel, chains):
    """drawn_font_sizes draws nothing but records every text: the same list as a full Agg draw."""
    from matplotlib.backends.backend_agg import RendererAgg

    for name, figure in _figures(panel, chains):
        width, height = figure.get_size_inches() * figure.dpi
        renderer = RendererAgg(int(width), int(height), figure.dpi)
        drawn, draw_text = [], renderer.draw_text

        def record(gc, x, y, s, prop, angle, ismath=False, mtext=None):
            if str(s).strip():
                drawn.append((float(prop.get_size_in_points()), str(s)))
            return draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

        renderer.draw_text = record
        figure.draw(renderer)
        assert style.drawn_font_sizes(figure) == drawn, name
        assert len(drawn) > 3, name


def test_the_png_printer_records_the_texts_its_draw_draws(panel, chains):
    """The kernel's PNG printer, wrapped by figure_data.recording_text, gives the same image and
    leaves on the figure the same (size, text) list that a draw of its own gives, so the figure
    record needs no second draw; the record is used once."""
    from functools import partial

    from IPython.core.pylabtools import retina_figure

    printer = partial(retina_figure, base64=True)
    recording = figure_data.recording_text(printer)
    stable = 0
    for name, figure in _figures(panel, chains):
        first, second = printer(figure), printer(figure)
        if first == second:   # (constrained layout can move a pixel from one draw to the next)
            assert recording(figure) == second, name
            stable += 1
        else:
            recording(figure)
        recorded = getattr(figure, figure_data._DRAWN)
        assert recorded == style.drawn_font_sizes(figure) and len(recorded) > 3, name
        layout = figure_data.extract(figure)["layout"]
        assert layout["smallest_font_pt"] == min(size for size, _ in recorded), name
        assert not hasattr(figure, figure_data._DRAWN), name      # popped: a later display draws again
    assert stable >= 6          # the image comparison ran on most figures


def test_seaborn_draws_the_densities_the_package_computed(chains):
    relative, _ = chains
    densities = dynamics.kernel_densities(relative)
    ax = spatial_figures.plot_densities(densities, "ratio", "t")
    curves = [line for line in ax.get_lines() if len(line.get_xdata()) == len(densities)]
    assert len(curves) == densities.shape[1]
    for line, year in zip(curves, densities.columns):
        np.testing.assert_allclose(line.get_ydata(), densities[year].to_numpy())
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [str(year) for year in densities.columns]


def test_seaborn_regression_line_is_the_models(panel):
    """``regplot`` refits the least-squares line; for the bivariate β-convergence model it is the
    model's own line (intercept and slope), so the figure draws the estimate the table reports."""
    beta = convergence.beta_convergence(panel, "rural_income", 2016, 2024)
    figure = inequality_figures.plot_beta_convergence(beta, list(beta.result.model.data.row_labels), "t")
    line = figure.axes[0].get_lines()[0]
    x, y = line.get_xdata(), line.get_ydata()
    slope = (y[-1] - y[0]) / (x[-1] - x[0])
    assert slope == pytest.approx(beta.beta, rel=1e-9)
    assert y[0] == pytest.approx(beta.result.params["const"] + beta.beta * x[0], rel=1e-9)


def test_a_classed_map_takes_mapclassify_classes_with_their_ranges(panel):
    """Fisher–Jenks classes (mapclassify): the legend gives each class's range in the unit, and
    each province takes its class's colour."""
    import mapclassify
    from matplotlib.colors import to_hex

    income = official.indicator_values(panel, "rural_income", 2023)
    ax = maps.choropleth(income, "t", "yuan per person", classes=5)
    classes = mapclassify.FisherJenks(income.to_numpy(float), k=5)
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "yuan per person"
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[:5] == maps.class_labels(classes.bins, float(income.min()))
    assert labels[0].startswith(f"{income.min():,.0f} – ") and labels[4].endswith(f"{income.max():,.0f}")
    counts = np.bincount(classes.yb, minlength=5)                 # provinces per class (one path each)
    assert [len(collection.get_paths()) for collection in ax.collections[:5]] == list(counts)
    colours = [to_hex(collection.get_facecolors()[0]) for collection in ax.collections[:5]]
    assert len(set(colours)) == 5

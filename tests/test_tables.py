import pandas as pd
import pytest

from ruralrev.tables import markdown_table, myst_table


def test_myst_table_is_numbered_captioned_and_sourced():
    frame = pd.DataFrame({"Province": ["Beijing", "Tibet"], "Income (yuan)": [39856.0, 21578.5]})
    text = myst_table(frame, "Rural income, 2024 (yuan).", "tbl-income", "NBS.").data
    assert text.startswith("```{table} Rural income, 2024 (yuan).\n:name: tbl-income\n")
    assert "| Beijing | 39,856.00 |" in text
    assert text.rstrip().endswith("*Source:* NBS.")


def test_markdown_table_escapes_pipes_and_marks_missing():
    frame = pd.DataFrame({"a": ["x|y"], "b": [float("nan")]})
    assert markdown_table(frame).splitlines()[2] == "| x\\|y | – |"


def test_bad_label_is_refused():
    with pytest.raises(ValueError, match="label"):
        myst_table(pd.DataFrame({"a": [1]}), "c", "Bad Label", "s")

"""Text that a spreadsheet program would still evaluate after trimming what it cannot see, and numbers
that Python reads but a sheet does not mean (found by an adversarial review)."""
import csv
import io

import pytest

from review.core.numbers import NumberInvalid, to_float
from review.core.spreadsheet import csv_bytes, formula_like

HIDDEN_FORMULAS = ["\u00a0=HYPERLINK(\"http://x\")", "\u200b=1+1", "\ufeff+1", "\x0b-1", "\x0c@SUM(A1)",
                   "\u2003=1", "﹦1+1", "﹢1", "|cmd /c calc"]


@pytest.mark.parametrize("value", HIDDEN_FORMULAS)
def test_a_formula_behind_invisible_characters_is_kept_as_text(value):
    assert formula_like(value)
    out = csv_bytes([["name"], [value]]).decode("utf-8-sig")
    cell = list(csv.reader(io.StringIO(out)))[1][0]
    assert cell.startswith("'")


@pytest.mark.parametrize("value", ["张三", "1-2", "a=b", "2025"])
def test_ordinary_text_is_left_alone(value):
    assert not formula_like(value)


@pytest.mark.parametrize("raw", ["1_000", "１２", "٣", "1e-400x"])
def test_numbers_python_reads_but_a_sheet_does_not_mean_are_refused(raw):
    with pytest.raises(NumberInvalid):
        to_float(raw, field="办案数")


def test_minus_zero_is_zero():
    assert str(to_float("-0", field="办案数")) == "0.0"

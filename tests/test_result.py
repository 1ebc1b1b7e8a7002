"""Result.to_csv: plain CSV, with spreadsheet formulas defused in text cells."""

from __future__ import annotations

from uptake.result import Column, Result


def test_csv_defuses_formula_text_but_keeps_numbers() -> None:
    result = Result(
        kind="trend",
        spec={},
        columns=[Column(name="account", type="text"), Column(name="change", type="number")],
        rows=[
            {"account": '=HYPERLINK("http://x")', "change": -5},
            {"account": "+1", "change": -0.5},
            {"account": "-2", "change": None},
            {"account": "@SUM(A1)", "change": 3},
            {"account": "Acme, Inc.", "change": 0},
        ],
        sql="",
        engine="duckdb",
    )
    # Text starting with = + - @ gets a leading quote (OWASP CSV injection); numbers, even
    # negative ones, stay numbers; a field holding a quote or a comma is enclosed in quotes
    # with inner quotes doubled (RFC 4180).
    assert result.to_csv() == (
        "account,change\n"
        '"\'=HYPERLINK(""http://x"")",-5\n'
        "'+1,-0.5\n"
        "'-2,\n"
        "'@SUM(A1),3\n"
        '"Acme, Inc.",0\n'
    )

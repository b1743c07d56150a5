"""Wrong data is not accepted: impossible dates and times are rejected with a reason (never rolled over),
and rows far outside the export's own period are rejected, so one bad row cannot stretch the period."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.importer import (
    IMPOSSIBLE_DATE,
    IMPOSSIBLE_TIME,
    OUTSIDE_PERIOD,
    import_calls,
    parse_clock,
    parse_datetimes,
)
from planner.profile import build_profile


def _calls(rows: list[str], header: str = "Incident,Received,Type") -> str:
    return header + "\n" + "".join(f"{i},{t},NOISE\n" for i, t in enumerate(rows, start=1))


MARCH = [f"03/{d:02d}/2025 {h:02d}:15" for d in range(1, 29) for h in (3, 11, 19)]   # 84 good rows


@pytest.mark.parametrize("value,reason", [
    ("02/31/2025 10:00", IMPOSSIBLE_DATE),     # would roll over to 3 March
    ("02/29/2025 10:00", IMPOSSIBLE_DATE),     # 2025 is not a leap year: 1 March
    ("04/31/2025 10:00", IMPOSSIBLE_DATE),
    ("13/13/2025 10:00", IMPOSSIBLE_DATE),
    ("2025-02-30 10:00", IMPOSSIBLE_DATE),
    ("02/28/2025 23:59:60", IMPOSSIBLE_TIME),  # would roll over to midnight on 1 March
    ("02/28/2025 24:10", IMPOSSIBLE_TIME),
    ("02/28/2025 10:61", IMPOSSIBLE_TIME),
    ("the day before", "unreadable date/time"),
])
def test_impossible_dates_and_times_are_rejected_with_a_reason(write, value, reason):
    r = import_calls(write("calls.csv", _calls(MARCH + [value])))
    assert (r.rows_read, r.calls_imported, r.rows_rejected) == (85, 84, 1)
    rej = r.rejects.iloc[0]
    assert (rej["source_row"], rej["reason"], rej["value"]) == (86, reason, value)
    assert r.calls["received_at"].min().month == 3 and r.calls["received_at"].max().day == 28


def test_leap_day_of_a_leap_year_is_a_date():
    naive, _ = parse_datetimes(pd.Series(["02/29/2024 10:00", "02/29/2025 10:00", "2024-02-29T10:00"]))
    assert naive.iloc[0] == pd.Timestamp("2024-02-29 10:00") and pd.isna(naive.iloc[1])
    assert naive.iloc[2] == pd.Timestamp("2024-02-29 10:00")


def test_times_of_day_never_carry_over():
    secs = parse_clock(pd.Series(["10:59:60", "23:59:60", "10:59:59", "24:00", "12:60", "1:05 PM"])).tolist()
    assert pd.isna(secs[0]) and pd.isna(secs[1]) and secs[2] == 10 * 3600 + 59 * 60 + 59
    assert pd.isna(secs[3]) and pd.isna(secs[4]) and secs[5] == 13 * 3600 + 300


def test_impossible_time_in_a_separate_time_column(write):
    text = "Incident,Date,Time,Type\n" + "".join(f"{i},03/{i:02d}/2025,10:00,NOISE\n" for i in range(1, 11))
    text += "11,03/11/2025,25:00,NOISE\n12,02/30/2025,10:00,NOISE\n"
    r = import_calls(write("calls.csv", text))
    assert r.calls_imported == 10
    assert dict(zip(r.rejects["source_row"], r.rejects["reason"], strict=True)) == {12: IMPOSSIBLE_TIME,
                                                                                   13: IMPOSSIBLE_DATE}


def test_rows_from_1900_and_2099_in_a_2025_export_are_outside_its_period(write):
    r = import_calls(write("calls.csv", _calls(MARCH + ["01/01/1900 10:00", "03/02/2099 10:00"])))
    assert (r.rows_read, r.calls_imported, r.rows_rejected) == (86, 84, 2)
    assert r.rejections() == {OUTSIDE_PERIOD: 2}
    assert r.rejects["value"].tolist() == ["01/01/1900 10:00", "03/02/2099 10:00"]
    assert any("before 1990" in n and "after the day the file was read" in n for n in r.notes)
    p = build_profile(r)
    assert p.days < 28     # the period is March's, not 125 years
    assert p.calls_per_year().sum() == pytest.approx(84 / p.days * 365.25, rel=0.1)


def test_a_row_dated_tomorrow_is_outside_the_period(write):
    tomorrow = (pd.Timestamp.now(tz="Etc/GMT-14").normalize() + pd.Timedelta(days=2)).strftime("%m/%d/%Y 10:00")
    r = import_calls(write("calls.csv", _calls(MARCH + [tomorrow])), tz="America/Chicago")
    assert r.rejections() == {OUTSIDE_PERIOD: 1}


def test_an_isolated_row_years_from_the_rest_is_outside_the_period(write):
    r = import_calls(write("calls.csv", _calls(MARCH + ["03/05/2019 10:00"])))
    assert (r.calls_imported, r.rejections()) == (84, {OUTSIDE_PERIOD: 1})
    assert r.rejects["source_row"].tolist() == [86]


def test_a_long_export_without_gaps_keeps_every_year(write):
    rows = [f"{m:02d}/15/{y} 10:00" for y in range(2015, 2025) for m in range(1, 13)]
    r = import_calls(write("calls.csv", _calls(rows)))
    assert r.calls_imported == 120 and r.rows_rejected == 0


def test_two_large_periods_years_apart_are_both_kept(write):
    # Neither group is small beside the other: it is not a typing error, so nothing is rejected.
    rows = [f"03/{d:02d}/2018 10:00" for d in range(1, 21)] + [f"03/{d:02d}/2024 10:00" for d in range(1, 21)]
    r = import_calls(write("calls.csv", _calls(rows)))
    assert r.calls_imported == 40 and r.rows_rejected == 0

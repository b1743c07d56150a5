"""The importer on small hand-made exports, one per quirk real CAD files have; exact counts and reasons."""

from __future__ import annotations

import datetime as dt
import gzip

import pandas as pd
import pytest

from planner.errors import ImportFailed
from planner.importer import import_calls, parse_clock
from planner.mapping import Mapping, read_mapping, write_mapping

BASIC = (
    "Incident,Call Received,Nature,Priority\n"
    "1,2024-05-01 10:00:00,WELFARE CHECK,2\n"
    "2,2024-05-01 11:30:00,TRAFFIC STOP,3\n"
    "3,2024-05-01 12:45:10,BATTERY,1\n"
)


def _accounted(r) -> None:
    assert r.rows_imported + r.rows_rejected == r.rows_read
    assert r.rows_imported == r.calls_imported + r.rows_merged


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_any_common_delimiter(write, delimiter):
    p = write("calls.csv", BASIC.replace(",", delimiter))
    r = import_calls(p)
    assert r.rows_read == 3 and r.calls_imported == 3 and r.rows_rejected == 0
    assert list(r.calls["category"]) == ["welfare_check", "self_initiated", "violent_crime"]
    assert list(r.calls["priority"]) == [2, 3, 1]


@pytest.mark.parametrize("encoding,prefix", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("latin-1", b"")])
def test_encodings(write, encoding, prefix):
    text = BASIC.replace("WELFARE CHECK", "WELFARE CHECK - CAFÉ")
    p = write("calls.csv", prefix + text.encode(encoding))
    r = import_calls(p)
    assert r.calls_imported == 3
    assert "Incident" in r.mapping.columns.values()  # a BOM does not stick to the first header
    assert r.calls["call_type"].iloc[0] == "WELFARE CHECK - CAFÉ"


def test_gzip_csv(write):
    p = write("calls.csv.gz", gzip.compress(BASIC.encode()))
    assert import_calls(p).calls_imported == 3


def test_us_dates_and_12_hour_clock(write):
    p = write("calls.csv", "Event Number,Call Date/Time,Call Type\n"
                           "A1,05/03/2024 1:05:09 PM,NOISE\n"
                           "A2,05/03/2024 12:10 AM,NOISE\n"
                           "A3,12/31/2024 11:59 PM,NOISE\n")
    r = import_calls(p, tz="America/New_York")
    got = [t.strftime("%Y-%m-%d %H:%M:%S") for t in r.calls["received_at"]]
    assert got == ["2024-05-03 00:10:00", "2024-05-03 13:05:09", "2024-12-31 23:59:00"]
    assert str(r.calls["received_at"].dt.tz) == "America/New_York"


def test_day_first_dates_detected_when_days_exceed_12(write):
    p = write("calls.csv", "id,date time,type\n1,25/03/2024 10:00,NOISE\n2,26/03/2024 11:00,NOISE\n")
    r = import_calls(p)
    assert [t.day for t in r.calls["received_at"]] == [25, 26]


def test_separate_date_and_time_columns(write):
    p = write("calls.csv", "Incident No,Date,Time,Problem\n"
                           "7,3/4/2024,08:15,WELFARE\n"
                           "8,3/4/2024,2:30 PM,WELFARE\n")
    r = import_calls(p)
    assert r.mapping.columns["received_date"] == "Date" and r.mapping.columns["received_time"] == "Time"
    assert [t.strftime("%H:%M") for t in r.calls["received_at"]] == ["08:15", "14:30"]


def test_dst_is_handled_in_the_agency_zone(write):
    # 2024-03-10 02:30 does not exist in Chicago; 2024-11-03 01:30 happens twice.
    p = write("calls.csv", "id,time,nature\n"
                           "1,2024-03-10 01:30:00,NOISE\n"
                           "2,2024-03-10 02:30:00,NOISE\n"
                           "3,2024-03-10 03:30:00,NOISE\n"
                           "4,2024-11-03 01:30:00,NOISE\n")
    r = import_calls(p, tz="America/Chicago")
    assert r.calls_imported == 4 and r.rows_rejected == 0
    utc = [t.tz_convert("UTC").strftime("%H:%M") for t in r.calls["received_at"]]
    # CST is UTC-6, CDT UTC-5: 01:30 CST, skipped 02:30 moved to 03:00 CDT, 03:30 CDT, ambiguous 01:30 as CDT.
    assert utc == ["07:30", "08:00", "08:30", "06:30"]
    assert any("daylight-saving" in n for n in r.notes)


def test_utc_offsets_are_converted(write):
    p = write("calls.csv", "id,time,nature\n1,2024-06-01T15:00:00Z,NOISE\n2,2024-06-01T10:00:00-05:00,NOISE\n")
    r = import_calls(p, tz="America/Chicago")
    assert [t.strftime("%H:%M") for t in r.calls["received_at"]] == ["10:00", "10:00"]


def test_placeholder_and_impossible_secondary_times(write):
    p = write("calls.csv",
              "Incident,Received,Type,Dispatched,Arrived,Cleared\n"
              "1,2024-05-01 14:05:00,WELFARE,0:00,14:20:00,15:00:00\n"        # 0:00 at 14:05: placeholder
              "2,2024-05-01 23:30:00,WELFARE,23:35:00,00:00:00,00:40:00\n"    # real midnight arrival
              "3,2024-05-01 10:00:00,WELFARE,09:00:00,10:20:00,10:50:00\n"    # dispatched before received
              "4,2024-05-01 10:00:00,WELFARE,2024-05-01 10:02:00,,10:40:00\n"  # no arrival time
              "5,2024-05-01 23:50:00,WELFARE,23:55:00,00:05:00,01:15:00\n")   # crosses midnight
    r = import_calls(p)
    c = r.calls.set_index("call_id")
    assert pd.isna(c.loc["1", "dispatched_at"]) and c.loc["1", "on_scene_minutes"] == 40
    assert c.loc["2", "arrived_at"].strftime("%Y-%m-%d %H:%M") == "2024-05-02 00:00"
    assert c.loc["2", "on_scene_minutes"] == 40
    assert pd.isna(c.loc["3", "dispatched_at"]) and c.loc["3", "on_scene_minutes"] == 30
    assert pd.isna(c.loc["4", "arrived_at"]) and c.loc["4", "busy_minutes"] == 38
    assert c.loc["5", "travel_minutes"] == 10 and c.loc["5", "on_scene_minutes"] == 70
    assert c.loc["5", "cleared_at"].strftime("%Y-%m-%d %H:%M") == "2024-05-02 01:15"
    text = " ".join(r.notes)
    assert "1 dispatch times are placeholders" in text
    assert "1 dispatch times come before the step they follow" in text
    assert r.rows_rejected == 0


def test_multi_unit_rows_become_one_call(write):
    p = write("calls.csv",
              "Incident,Unit,Received,Type,Dispatched,Cleared\n"
              "100,A1,2024-05-01 10:00:00,BATTERY,10:01:00,10:31:00\n"
              "100,A2,2024-05-01 10:00:00,BATTERY,10:03:00,10:23:00\n"
              "100,A3,2024-05-01 10:00:00,BATTERY,10:05:00,11:05:00\n"
              "101,B1,2024-05-01 10:10:00,NOISE,10:12:00,10:22:00\n")
    r = import_calls(p)
    assert r.rows_read == 4 and r.calls_imported == 2 and r.rows_merged == 2
    _accounted(r)
    c = r.calls.set_index("call_id")
    assert c.loc["100", "units"] == 3 and c.loc["101", "units"] == 1
    assert c.loc["100", "busy_minutes"] == 30 + 20 + 60  # every unit's time, added up
    assert c.loc["100", "dispatched_at"].strftime("%H:%M") == "10:01"
    assert c.loc["100", "cleared_at"].strftime("%H:%M") == "11:05"


def test_rejects_keep_row_number_column_value_and_reason(write):
    p = write("calls.csv",
              "Incident,Received,Type\n"
              "1,2024-05-01 10:00:00,NOISE\n"
              "2,not a date,NOISE\n"
              "3,2024-05-01 11:00:00,\n"
              ",2024-05-01 12:00:00,NOISE\n"
              "5,2024-05-01 13:00:00,NOISE,EXTRA\n"
              "6,,NOISE\n"
              "7,2024-05-01 14:00:00,NOISE\n")
    r = import_calls(p)
    assert r.rows_read == 7 and r.calls_imported == 2 and r.rows_rejected == 5
    _accounted(r)
    rej = r.rejects.set_index("source_row")
    assert rej.loc[3, "reason"] == "unreadable date/time" and rej.loc[3, "value"] == "not a date"
    assert rej.loc[3, "column"] == "Received"
    assert rej.loc[4, "reason"] == "missing call type"
    assert rej.loc[5, "reason"] == "missing incident number"
    assert rej.loc[6, "reason"] == "has 4 fields, expected 3"
    assert rej.loc[7, "reason"] == "missing received time"
    assert r.rejections() == {"unreadable date/time": 1, "missing call type": 1, "missing incident number": 1,
                              "has 4 fields, expected 3": 1, "missing received time": 1}
    # The kept calls still carry the spreadsheet row they came from.
    assert sorted(r.calls["source_row"]) == [2, 8]


def test_blank_lines_do_not_shift_row_numbers(write):
    p = write("calls.csv", "id,time,nature\n1,2024-05-01 10:00,NOISE\n\n3,bad,NOISE\n")
    r = import_calls(p)
    assert r.rows_read == 2 and list(r.rejects["source_row"]) == [4]


def test_code_table_from_option_and_from_mapping(write, tmp_path):
    calls = write("calls.csv", "Incident,Received,Code\n1,2024-05-01 10:00,5150\n2,2024-05-01 10:05,CW\n"
                               "3,2024-05-01 10:07,ZZ9\n")
    codes = write("codes.csv", "code,description\n5150,MENTAL HEALTH EVALUATION\nCW,CHECK WELFARE\n")
    r = import_calls(calls, codes=codes)
    assert list(r.calls["call_type"]) == ["MENTAL HEALTH EVALUATION", "CHECK WELFARE", "ZZ9"]
    assert list(r.calls["call_type_code"]) == ["5150", "CW", "ZZ9"]
    assert list(r.calls["category"]) == ["behavioral_health", "welfare_check", "other"]
    assert any("1 calls have codes not in the code table" in n for n in r.notes)
    m = write("mapping.toml", '[columns]\ncall_type = "Code"\n[options]\ncodes = "codes.csv"\n')
    r2 = import_calls(calls, read_mapping(m))
    assert list(r2.calls["category"]) == list(r.calls["category"])


def test_xlsx_with_real_datetime_cells_and_sheet_choice(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Summary"
    ws.append(["nothing here"])
    ws2 = wb.create_sheet("Calls")
    ws2.append(["Incident Number", "Call Received", "Call Type", "Priority"])
    ws2.append([1001, dt.datetime(2024, 5, 1, 9, 30), "WELFARE CHECK", 2])
    ws2.append([1002, "05/01/2024 10:45 AM", "OVERDOSE", 1.0])
    ws2.append([None, None, None, None])
    ws2.append([1003, "garbage", "OVERDOSE", 1])
    path = tmp_path / "calls.xlsx"
    wb.save(path)
    r = import_calls(path, Mapping(sheet="Calls"))
    assert r.rows_read == 3 and r.calls_imported == 2
    assert list(r.calls["call_id"]) == ["1001", "1002"]
    assert list(r.rejects["source_row"]) == [5]  # Excel row 5 (row 4 was blank)
    assert list(r.calls["category"]) == ["welfare_check", "substance"]
    with pytest.raises(ImportFailed, match="no sheet named 'Nope'.*'Summary', 'Calls'"):
        import_calls(path, Mapping(sheet="Nope"))


def test_parquet_with_typed_columns(tmp_path):
    df = pd.DataFrame({
        "incident_id": [1, 2],
        "received": pd.to_datetime(["2024-05-01 10:00", "2024-05-01 11:00"]).tz_localize("UTC"),
        "call_type": ["MENTAL HEALTH", "THEFT"],
        "priority": [2, 3],
    })
    path = tmp_path / "calls.parquet"
    df.to_parquet(path)
    r = import_calls(path, tz="America/Chicago")
    assert [t.strftime("%H:%M") for t in r.calls["received_at"]] == ["05:00", "06:00"]
    assert list(r.calls["category"]) == ["behavioral_health", "property_crime"]


def test_mapping_overrides_detection_and_round_trips(write, tmp_path):
    p = write("calls.csv", "id,time,nature,reason\n1,2024-05-01 10:00,X1,SUICIDE THREAT\n")
    assert import_calls(p).mapping.columns["call_type"] == "nature"
    m = Mapping(columns={"call_type": "reason"}, timezone="America/Denver")
    r = import_calls(p, m)
    assert r.mapping.columns["call_type"] == "reason"
    assert r.calls["category"].iloc[0] == "behavioral_health"
    out = tmp_path / "m.toml"
    write_mapping(r.mapping, out)
    back = read_mapping(out)
    assert back.columns == r.mapping.columns and back.timezone == "America/Denver"


@pytest.mark.parametrize("content,message", [
    ("", "the file is empty"),
    ("a,b,c\n1,2,3\n", "no usable time column"),
    ("id,time\n1,2024-05-01 10:00\n", "no call type column"),
    ("id,time,nature\n1,xx,NOISE\n2,yy,NOISE\n", "none of the 2 rows could be imported"),
])
def test_unusable_files_fail_with_one_line(write, content, message):
    p = write("calls.csv", content)
    with pytest.raises(ImportFailed, match=message) as e:
        import_calls(p)
    assert "\n" not in str(e.value) and str(p) in str(e.value)


def test_missing_file_and_bad_mapping_column(write, tmp_path):
    with pytest.raises(ImportFailed, match="file not found"):
        import_calls(tmp_path / "nope.csv")
    p = write("calls.csv", BASIC)
    with pytest.raises(ImportFailed, match=r"columns.call_type = 'Kind': no such column"):
        import_calls(p, Mapping(columns={"call_type": "Kind"}))


def test_parse_clock_forms():
    s = pd.Series(["14:05", "2:05:09 PM", "12:00 AM", "12:30 PM", "1405", "0:00", "25:00", "13:00 PM", "x", None])
    got = parse_clock(s).tolist()
    assert got[:6] == [14 * 3600 + 300, 14 * 3600 + 309, 0, 12 * 3600 + 1800, 14 * 3600 + 300, 0]
    assert all(pd.isna(v) for v in got[6:])

"""Export layouts seen in real files the first importer got wrong, as small exports written in the test.

Each test gives exact counts and the columns chosen: a consolidated 911 centre's file (police, fire and EMS,
derived seconds columns), a date column with a placeholder time next to a time column, a crisis team's log
whose clear time is a departure, several reason columns, and text saved from Excel as 'Unicode Text'.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pandas as pd
import pytest

from planner.errors import ImportFailed
from planner.importer import agency_discipline, detect, import_calls, read_raw
from planner.mapping import Mapping, read_mapping, write_mapping
from planner.profile import build_profile, detection_lines, profile_summary


def _accounted(r) -> None:
    assert r.rows_read == r.rows_imported + r.rows_rejected + r.rows_set_aside
    assert r.rows_imported == r.calls_imported + r.rows_merged
    r.check_accounting()


# ------------------------------------------------------------------------------ consolidated 911 centre
CONSOLIDATED = (
    "Master_Incident_Number,Total_Call_Time,Response_Date,Agency,Problem,Priority_Number,Incident_Start_Time,"
    "Incident_Dispatch_Time,Incident_Arrival_Time,TimeFirstCallCleared,Final_Closed_Time,Time_To_Dispatch\n"
    "23-000001,3103,03/01/2023 02:47:44,POLICE,DISTURBANCE,3,03/01/2023 02:47:49,03/01/2023 02:48:54,"
    "03/01/2023 03:03:24,03/01/2023 03:35:21,03/01/2023 03:39:27,70\n"
    "23-000002,4364,03/01/2023 03:24:14,FIRE,STRUCTURE FIRE,1,03/01/2023 03:24:19,03/01/2023 03:27:25,"
    "03/01/2023 03:37:20,03/01/2023 04:28:55,03/01/2023 04:36:58,191\n"
    "23-000003,2710,03/01/2023 04:02:00,EMS,26-A-1 SICK PERSON,2,03/01/2023 04:02:06,03/01/2023 04:03:00,"
    "03/01/2023 04:11:00,03/01/2023 04:45:00,03/01/2023 04:47:10,60\n"
    "23-000004,5400,03/01/2023 05:10:00,POLICE,PSYCHIATRIC,2,03/01/2023 05:10:09,03/01/2023 05:12:00,"
    "03/01/2023 05:20:00,03/01/2023 06:20:00,03/01/2023 06:40:00,120\n"
    "23-000005,1800,03/01/2023 06:00:00,Police,TRAFFIC COLLISION,2,03/01/2023 06:00:03,03/01/2023 06:05:00,"
    "03/01/2023 06:15:00,03/01/2023 06:30:00,03/01/2023 06:30:00,300\n"
    "23-000006,900,not recorded,POLICE,NOISE,4,03/01/2023 07:00:03,03/01/2023 07:05:00,"
    "03/01/2023 07:15:00,03/01/2023 07:20:00,03/01/2023 07:20:00,300\n"
    "23-000007,3600,03/01/2023 08:00:00,EMS,23-C-1 OVERDOSE,1,03/01/2023 08:00:04,03/01/2023 08:01:00,"
    "03/01/2023 08:06:00,03/01/2023 08:50:00,03/01/2023 09:00:00,56\n"
    "23-000008,2000,03/01/2023 09:00:00,POLICE,WELFARE CHECK,3,03/01/2023 09:00:02,03/01/2023 09:10:00,"
    "03/01/2023 09:20:00,03/01/2023 09:45:00,03/01/2023 09:46:00,600\n"
)


def test_consolidated_centre_keeps_police_and_sets_the_others_aside(write):
    p = write("cad.csv", CONSOLIDATED)
    r = import_calls(p)
    _accounted(r)
    assert r.rows_read == 8
    assert r.set_aside == {"FIRE": 1, "EMS": 2} and r.rows_set_aside == 3
    assert r.rows_rejected == 1 and r.rejects["source_row"].tolist() == [7]   # 'not recorded'
    assert r.calls_imported == 4 and r.rows_merged == 0
    assert r.agencies == {"POLICE": 4, "EMS": 2, "FIRE": 1, "Police": 1}
    assert r.mapping.agencies == ("POLICE", "Police")
    cols = r.mapping.columns
    assert cols["received_at"] == "Response_Date"
    assert (cols["dispatched_at"], cols["arrived_at"], cols["cleared_at"]) == (
        "Incident_Dispatch_Time", "Incident_Arrival_Time", "TimeFirstCallCleared")
    assert (cols["call_id"], cols["call_type"], cols["priority"], cols["agency"]) == (
        "Master_Incident_Number", "Problem", "Priority_Number", "Agency")
    assert "Total_Call_Time" not in cols.values() and "Time_To_Dispatch" not in cols.values()
    received = next(c for c in r.column_choices if c.field == "received_at")
    assert received.runner_up == "Incident_Start_Time" and "earliest" in received.why
    cleared = next(c for c in r.column_choices if c.field == "cleared_at")
    assert cleared.runner_up == "Final_Closed_Time"
    assert set(r.not_times) == {"Total_Call_Time", "Time_To_Dispatch"}
    assert "seconds" in r.not_times["Total_Call_Time"]
    c = r.calls.set_index("call_id")
    assert c.loc["23-000001", "received_at"].strftime("%H:%M:%S") == "02:47:44"
    assert c.loc["23-000001", "on_scene_minutes"] == pytest.approx(31 + 57 / 60)
    assert c.loc["23-000004", "category"] == "behavioral_health"
    assert c.loc["23-000005", "category"] == "traffic"
    assert any("set aside by the agency filter" in n for n in r.notes)


def test_consolidated_centre_profile_shows_choices_and_agencies(write):
    p = write("cad.csv", CONSOLIDATED)
    r = import_calls(p)
    s = profile_summary(r, build_profile(r))
    assert s["rows_read"] == s["calls_imported"] + s["rows_merged"] + s["rows_rejected"] + s["rows_set_aside"]
    assert s["set_aside"] == {"FIRE": 1, "EMS": 2} and s["agencies_kept"] == ["POLICE", "Police"]
    assert {c["field"] for c in s["column_choices"]} >= {"received_at", "dispatched_at", "cleared_at", "agency"}
    text = "\n".join(detection_lines(s))
    assert "set aside" in text and "FIRE 1 (set aside)" in text and "POLICE 4 (kept)" in text
    assert "runner-up 'Incident_Start_Time'" in text and "'Total_Call_Time': numbers" in text
    assert s["time_on_scene_minutes"]["behavioral_health"] == 60.0


def test_consolidated_centre_through_the_command_line(write):
    p = write("cad.csv", CONSOLIDATED)
    out = subprocess.run([sys.executable, "-m", "planner", "profile", str(p), "--json"], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    s = json.loads(out.stdout)
    assert (s["rows_read"], s["calls_imported"], s["rows_rejected"], s["rows_set_aside"]) == (8, 4, 1, 3)
    assert s["period"]["start"].startswith("2023-03-01T02:47")


def test_the_agency_choice_is_saved_in_the_mapping_and_can_be_changed(write, tmp_path):
    p = write("cad.csv", CONSOLIDATED)
    r = import_calls(p)
    saved = tmp_path / "m.toml"
    write_mapping(r.mapping, saved)
    assert 'agencies = [\n    "POLICE",\n    "Police",\n]' in saved.read_text() or '"POLICE"' in saved.read_text()
    assert read_mapping(saved).agencies == ("POLICE", "Police")
    fire_ems = import_calls(p, Mapping(agencies=("fire", "EMS")))
    _accounted(fire_ems)
    assert fire_ems.calls_imported == 3 and fire_ems.set_aside == {"POLICE": 4, "Police": 1}
    assert sorted(fire_ems.calls["category"]) == ["other", "substance", "welfare_check"]


def test_sheriff_is_kept_when_there_is_no_police_and_blank_agencies_are_set_aside(write):
    p = write("cad.csv", "Incident,Received,Type,Agency\n"
                         "1,2024-05-01 10:00,NOISE,SO\n2,2024-05-01 10:05,MEDICAL,EMS\n"
                         "3,2024-05-01 10:10,THEFT,\n4,2024-05-01 10:20,THEFT,Sheriff\n")
    r = import_calls(p)
    _accounted(r)
    assert r.mapping.agencies == ("SO", "Sheriff")
    assert r.calls_imported == 2 and r.set_aside == {"EMS": 1, "(blank)": 1}


def test_a_single_agency_column_filters_nothing(write):
    p = write("calls.csv", "Incident,Received,Type,Agency\n1,2024-05-01 10:00,NOISE,MPD\n"
                           "2,2024-05-01 10:05,THEFT,\n")
    r = import_calls(p)
    assert r.calls_imported == 2 and r.set_aside == {} and r.rows_set_aside == 0
    assert r.agencies == {"MPD": 1, "": 1}


@pytest.mark.parametrize("value,discipline", [
    ("POLICE", "police"), ("APD", "police"), ("Law Enforcement", "police"), ("FIRE", "fire"), ("AFD", "fire"),
    ("EMS", "ems"), ("Medical", "ems"), ("SHERIFF", "sheriff"), ("LASO", "sheriff"), ("Animal Control", None),
])
def test_agency_disciplines(value, discipline):
    assert agency_discipline(value) == discipline


# ------------------------------------------------------------- date with placeholder time + time column
def test_date_with_placeholder_time_and_a_time_column_are_read_as_one(write):
    p = write("calls.csv", "CASENO,EVENTDT,EVENTTM,CALLTYPE\n"
                           "C1,05/01/2018 12:00:00 AM,22:17,NOISE\n"
                           "C2,05/01/2018 12:00:00 AM,23:59,THEFT\n"
                           "C3,05/02/2018 12:00:00 AM,00:04,SUSP PERSON\n"
                           "C4,05/02/2018 12:00:00 AM,,NOISE\n"
                           "C5,05/02/2018 12:00:00 AM,7:45,WELFARE CHECK\n")
    r = import_calls(p, tz="America/Chicago")
    _accounted(r)
    assert (r.mapping.columns["received_date"], r.mapping.columns["received_time"]) == ("EVENTDT", "EVENTTM")
    assert "received_at" not in r.mapping.columns
    assert r.rows_read == 5 and r.calls_imported == 4 and r.rows_rejected == 1
    assert r.rejects["source_row"].tolist() == [5]
    assert r.rejections() == {"missing received time": 1} and r.rejects["column"].tolist() == ["EVENTTM"]
    got = [t.strftime("%Y-%m-%d %H:%M") for t in r.calls["received_at"]]
    assert got == ["2018-05-01 22:17", "2018-05-01 23:59", "2018-05-02 00:04", "2018-05-02 07:45"]
    choice = next(c for c in r.column_choices if c.field == "received_at")
    assert choice.column == "EVENTDT + EVENTTM" and "placeholder" in choice.why


def test_a_date_only_column_is_not_taken_as_the_received_time_when_a_full_one_exists(write):
    p = write("calls.csv", "Report Date,Call Received,Type\n05/03/2024,05/01/2024 10:15,NOISE\n"
                           "05/03/2024,05/01/2024 11:15,NOISE\n")
    r = import_calls(p)
    assert r.mapping.columns["received_at"] == "Call Received"


# --------------------------------------------------------------------- crisis team's log, departure time
def _crisis_log() -> str:
    rows = ["Incident #,Call Date & Time,MCIT Dispatch Date & Time,MCIT Arrival Date & Time,"
            "MCIT Departure Date & Time,Reason #1,Reason #2,Reason #3,Reason #4,Reason #5,Disposition"]
    reasons = [("Agitation or disruptive behavior", "Paranoia", "", "", ""),
               ("", "Disorganized behavior", "", "", ""),
               ("", "", "", "", "Harm/Risk of harm to self"),
               ("Difficulty functioning", "", "", "", ""),
               ("Substance use", "Paranoia", "", "", ""),
               ("", "", "", "", "")]
    for i, rs in enumerate(reasons):
        h = 6 + i
        rows.append(f"M{i + 1},06/0{i + 1}/2024 {h}:00 AM,06/0{i + 1}/2024 {h}:10 AM,06/0{i + 1}/2024 {h}:30 AM,"
                    f"06/0{i + 1}/2024 {h + 1}:15 AM," + ",".join(rs) + ",Stabilized in place")
    return "\n".join(rows) + "\n"


def test_crisis_log_departure_is_the_clear_time_and_reasons_are_behavioural_health(write):
    p = write("mcit.csv", _crisis_log())
    r = import_calls(p)
    _accounted(r)
    cols = r.mapping.columns
    assert cols["cleared_at"] == "MCIT Departure Date & Time"
    assert cols["arrived_at"] == "MCIT Arrival Date & Time" and cols["received_at"] == "Call Date & Time"
    assert cols["call_type"] == ["Reason #1", "Reason #2", "Reason #3", "Reason #4", "Reason #5"]
    assert r.rows_read == 6 and r.calls_imported == 5 and r.rejections() == {"missing call type": 1}
    assert list(r.calls["call_type"]) == ["Agitation or disruptive behavior", "Disorganized behavior",
                                          "Harm/Risk of harm to self", "Difficulty functioning", "Substance use"]
    assert list(r.calls["category"]) == ["behavioral_health"] * 4 + ["substance"]
    assert r.calls["on_scene_minutes"].tolist() == [45.0] * 5
    assert r.calls["travel_minutes"].tolist() == [20.0] * 5


# --------------------------------------------------------------------------------- several reason columns
def test_final_call_type_wins_over_the_initial_one(write):
    p = write("calls.csv", "CAD Event Number,Original Time Queued,Initial Call Type,Final Call Type,Call Type\n"
                           "1,06/04/2023 04:18:15 PM,SUSPICIOUS PERSON,--DISTURBANCE - NOISE,911\n"
                           "2,06/04/2023 05:18:15 PM,\"ASLT - WITH OR W/O WPNS (NO SHOOTINGS)\",,911\n"
                           "3,06/04/2023 06:18:15 PM,,,ONVIEW\n")
    r = import_calls(p)
    _accounted(r)
    assert r.mapping.columns["call_type"] == ["Final Call Type", "Initial Call Type"]
    assert r.mapping.columns["received_at"] == "Original Time Queued"
    assert list(r.calls["call_type"]) == ["--DISTURBANCE - NOISE", "ASLT - WITH OR W/O WPNS (NO SHOOTINGS)"]
    assert list(r.calls["category"]) == ["disturbance", "violent_crime"]
    assert r.rejects["reason"].tolist() == ["missing call type"]
    assert r.rejects["column"].tolist() == ["Final Call Type / Initial Call Type"]


def test_several_call_type_columns_in_a_mapping_file_round_trip(write, tmp_path):
    p = write("calls.csv", "id,time,Nature,Reason\n1,2024-05-01 10:00,,SUICIDAL SUBJECT\n"
                           "2,2024-05-01 11:00,THEFT,NOISE\n")
    m = tmp_path / "m.toml"
    m.write_text('[columns]\ncall_type = ["Nature", "Reason"]\n')
    r = import_calls(p, read_mapping(m))
    assert list(r.calls["call_type"]) == ["SUICIDAL SUBJECT", "THEFT"]
    out = tmp_path / "out.toml"
    write_mapping(r.mapping, out)
    assert read_mapping(out).columns["call_type"] == ["Nature", "Reason"]


def test_a_list_is_refused_for_fields_that_name_one_column(tmp_path):
    from planner.errors import ScenarioError

    m = tmp_path / "m.toml"
    m.write_text('[columns]\nreceived_at = ["a", "b"]\n')
    with pytest.raises(ScenarioError, match="columns.received_at = \\['a', 'b'\\]: expected a column name"):
        read_mapping(m)


# ------------------------------------------------------------------------------------ Unicode text files
UNICODE_TEXT = "Incident\tCall Received\tNature\tPriority\r\n1\t2024-05-01 10:00:00\tWELFARE CHECK – CAFÉ\t2\r\n" \
               "2\t2024-05-01 11:30:00\tTRAFFIC STOP\t3\r\n3\t2024-05-01 12:45:10\tBATTERY\t1\r\n"


@pytest.mark.parametrize("encoding,bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
                                          ("utf-32-le", b"\xff\xfe\x00\x00")])
def test_unicode_text_with_a_byte_order_mark(write, encoding, bom):
    p = write("calls.txt", bom + UNICODE_TEXT.encode(encoding))
    raw = read_raw(p)
    assert list(raw.frame.columns) == ["Incident", "Call Received", "Nature", "Priority"]
    assert raw.rows_read == 3 and raw.delimiter == "\t"
    r = import_calls(p)
    assert r.calls_imported == 3 and r.rows_rejected == 0
    assert r.calls["call_type"].iloc[0] == "WELFARE CHECK – CAFÉ"
    assert list(r.calls["category"]) == ["welfare_check", "self_initiated", "violent_crime"]


def test_unicode_text_gzipped(write):
    p = write("calls.txt.gz", gzip.compress(b"\xff\xfe" + UNICODE_TEXT.encode("utf-16-le")))
    assert import_calls(p).calls_imported == 3


def test_a_damaged_utf16_file_fails_in_one_line(write):
    p = write("calls.txt", b"\xff\xfe" + UNICODE_TEXT.encode("utf-16-le")[:-1])
    with pytest.raises(ImportFailed, match="not readable as UTF-16-LE text") as e:
        import_calls(p)
    assert "\n" not in str(e.value)


# ----------------------------------------------------------------------------------- no usable time column
def test_no_usable_time_column_is_one_line_and_exit_code_2(write):
    p = write("calls.csv", "Master_Incident_Number,Total_Call_Time,Problem\n1,3103,NOISE\n2,4364,THEFT\n")
    with pytest.raises(ImportFailed, match="no usable time column") as e:
        import_calls(p)
    assert "\n" not in str(e.value)
    out = subprocess.run([sys.executable, "-m", "planner", "profile", str(p)], capture_output=True, text=True)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "no usable time column" in out.stderr


def test_detection_alone_on_a_frame():
    frame = pd.DataFrame({"EVENTDT": ["05/01/2018 12:00:00 AM"] * 3, "EVENTTM": ["22:17", "06:10", "13:00"],
                          "Seconds": ["300", "20", "45"], "CALLTYPE": ["NOISE", "THEFT", "NOISE"]})
    d = detect(frame)
    assert d.columns == {"received_date": "EVENTDT", "received_time": "EVENTTM", "call_type": "CALLTYPE"}

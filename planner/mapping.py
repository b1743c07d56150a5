"""Column mapping: which column of an agency's export holds which field of the canonical call table.

Detection looks at the header names real CAD exports use; the result is shown to the user and can be
saved as a mapping file (TOML) that overrides detection from then on. The same file carries the
import options (time zone, date order, sheet, code table) and the user's own category rules.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from planner.errors import ScenarioError

# Canonical fields, in the order they are shown to a user, with what each means.
FIELDS: dict[str, str] = {
    "call_id": "incident / event number (rows sharing one are units of the same call)",
    "received_at": "date and time the call was received",
    "received_date": "date the call was received (when date and time are separate columns)",
    "received_time": "time the call was received (when date and time are separate columns)",
    "call_type": "call type, nature or problem code",
    "description": "a second call-type or description column",
    "priority": "priority (1 = most urgent)",
    "dispatched_at": "time the first unit was dispatched",
    "arrived_at": "time the first unit arrived on scene",
    "cleared_at": "time the call was cleared / the unit went back in service",
    "unit_id": "unit identifier (one row per unit sent)",
    "units": "number of units sent",
    "district": "district, beat, sector or zone",
    "disposition": "disposition, status or clearance",
}

# Header names seen in real exports, normalised (lower case, letters and digits only), best first.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "call_id": ("incidentnumber", "incidentno", "incidentid", "incident", "eventnumber", "eventno",
                "eventid", "event", "callnumber", "callno", "callid", "cadnumber", "cadincidentnumber",
                "cadid", "masterincidentnumber", "inci_id", "incnum", "id", "objectid"),
    "received_at": ("callreceiveddatetime", "receiveddatetime", "calldatetime", "datetimereceived",
                    "receivedtime", "timereceived", "callreceived", "received", "calltime", "incidentdatetime",
                    "eventdatetime", "createdatetime", "createdtime", "createtime", "datetime", "calldate",
                    "time", "timestamp", "date"),
    "received_date": ("receiveddate", "calldate", "incidentdate", "eventdate", "date"),
    "received_time": ("receivedtime", "calltime", "incidenttime", "eventtime", "time"),
    "call_type": ("calltype", "calltypecode", "typecode", "natureofcall", "nature", "problem", "problemtype",
                  "incidenttype", "eventtype", "type", "callreason", "reason", "initialcalltype",
                  "finalcalltype", "calldescription", "callcode", "naturecode", "incidentcode", "code",
                  "description"),
    "description": ("calltypedescription", "typedescription", "description", "calldescription",
                    "finalcalltype", "narrative"),
    "priority": ("priority", "callpriority", "prioritylevel", "initialpriority", "pri"),
    "dispatched_at": ("dispatchdatetime", "dispatcheddatetime", "dispatchtime", "dispatchedtime", "dispatched",
                      "timedispatched", "dispatch", "assignedtime"),
    "arrived_at": ("arriveddatetime", "arrivaltime", "arrivedtime", "arrived", "timearrived", "onscenetime",
                   "onscene", "onscenedatetime", "enroutearrival", "atscenetime"),
    "cleared_at": ("cleareddatetime", "clearedtime", "cleartime", "cleared", "timecleared", "closedtime",
                   "closeddatetime", "closed", "departuretime", "inservicetime", "available", "completedtime"),
    "unit_id": ("unitid", "unit", "unitnumber", "primaryunit", "callsign", "radioid"),
    "units": ("unitcount", "numberofunits", "unitssent", "numunits", "units"),
    "district": ("district", "beat", "sector", "zone", "precinct", "area", "policedistrict", "reportingarea"),
    "disposition": ("disposition", "finaldisposition", "dispositioncode", "clearance", "clearancecode",
                    "status", "callstatus", "outcome", "closecode"),
}


def normalise_header(name: str) -> str:
    """Lower-case a header and keep letters and digits, so 'Call Type' and 'CALL_TYPE' compare equal."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower().lstrip("\ufeff"))


@dataclass(frozen=True)
class CategoryRule:
    """One user rule: call types matching `pattern` (a case-insensitive regular expression) go to `category`."""

    pattern: str
    category: str


@dataclass(frozen=True)
class Mapping:
    """Which source column holds each canonical field, plus the import options."""

    columns: dict[str, str] = field(default_factory=dict)
    timezone: str | None = None
    date_order: str = "auto"          # "auto", "mdy", "dmy" or "ymd"
    sheet: str | None = None          # XLSX sheet name; the first sheet when None
    codes: str | None = None          # code table path (code -> description), relative to the mapping file
    rules: tuple[CategoryRule, ...] = ()
    source: Path | None = None        # the file it was read from, to resolve relative paths

    def with_columns(self, **columns: str | None) -> Mapping:
        """A copy with some columns set (or removed, given None)."""
        cols = dict(self.columns)
        for k, v in columns.items():
            if v is None:
                cols.pop(k, None)
            else:
                cols[k] = v
        return replace(self, columns=cols)

    def codes_path(self) -> Path | None:
        if not self.codes:
            return None
        p = Path(self.codes)
        if not p.is_absolute() and self.source is not None:
            p = self.source.parent / p
        return p


def detect_columns(headers: list[str]) -> dict[str, str]:
    """Guess the canonical field of each header; each header is used at most once."""
    norm = {h: normalise_header(h) for h in headers}
    taken: set[str] = set()
    found: dict[str, str] = {}

    def pick(fieldname: str) -> str | None:
        for syn in _SYNONYMS[fieldname]:
            for h in headers:
                if h not in taken and norm[h] == syn:
                    return h
        # Fall back to a header that contains a synonym of six letters or more ("Call Type Code").
        for syn in _SYNONYMS[fieldname]:
            if len(syn) < 6:
                continue
            for h in headers:
                if h not in taken and syn in norm[h]:
                    return h
        return None

    # Secondary times first, so 'dispatch time' is not taken as the received time.
    for f in ("call_id", "dispatched_at", "arrived_at", "cleared_at"):
        h = pick(f)
        if h is not None:
            found[f] = h
            taken.add(h)
    # A date column next to a time column is a split timestamp ('Received Date' + 'Received Time').
    date_col = next((h for syn in _SYNONYMS["received_date"] for h in headers
                     if h not in taken and norm[h] == syn), None)
    time_col = next((h for syn in _SYNONYMS["received_time"] for h in headers
                     if h not in taken and h != date_col and norm[h] == syn), None)
    if date_col is not None and time_col is not None:
        found["received_date"], found["received_time"] = date_col, time_col
        taken.update((date_col, time_col))
    order = ["received_at", "call_type", "description", "priority", "unit_id", "units", "district",
             "disposition"]
    for f in order:
        if f == "received_at" and "received_date" in found:
            continue
        h = pick(f)
        if h is not None:
            found[f] = h
            taken.add(h)
    return found


def read_mapping(path: str | Path) -> Mapping:
    """Read a mapping file; errors name the file, key and value."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: mapping file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ScenarioError(f"{path}: not a readable TOML mapping file ({e})") from None
    return mapping_from_dict(data, source=path)


def mapping_from_dict(data: dict[str, Any], source: Path | None = None) -> Mapping:
    where = str(source) if source else "mapping"
    unknown = set(data) - {"columns", "options", "rules"}
    if unknown:
        raise ScenarioError(f"{where}: unknown section(s) {sorted(unknown)}; expected columns, options, rules")
    cols = data.get("columns", {})
    if not isinstance(cols, dict):
        raise ScenarioError(f"{where}: [columns] must be a table of field = \"column name\"")
    for k, v in cols.items():
        if k not in FIELDS:
            raise ScenarioError(f"{where}: columns.{k} is not a field coplan knows; expected one of {list(FIELDS)}")
        if not isinstance(v, str) or not v:
            raise ScenarioError(f"{where}: columns.{k} = {v!r}: expected a column name")
    opts = data.get("options", {})
    known_opts = {"timezone", "date_order", "sheet", "codes"}
    if set(opts) - known_opts:
        raise ScenarioError(f"{where}: unknown option(s) {sorted(set(opts) - known_opts)}; expected {sorted(known_opts)}")
    date_order = opts.get("date_order", "auto")
    if date_order not in ("auto", "mdy", "dmy", "ymd"):
        raise ScenarioError(f"{where}: options.date_order = {date_order!r}: expected auto, mdy, dmy or ymd")
    tz = opts.get("timezone")
    if tz is not None:
        check_timezone(tz, f"{where}: options.timezone")
    rules = []
    for i, r in enumerate(data.get("rules", []), start=1):
        if not isinstance(r, dict) or "pattern" not in r or "category" not in r:
            raise ScenarioError(f"{where}: rules[{i}] needs pattern and category")
        try:
            re.compile(r["pattern"])
        except re.error as e:
            raise ScenarioError(f"{where}: rules[{i}].pattern = {r['pattern']!r} is not a valid pattern ({e})") from None
        rules.append(CategoryRule(str(r["pattern"]), str(r["category"])))
    return Mapping(columns=dict(cols), timezone=tz, date_order=date_order, sheet=opts.get("sheet"),
                   codes=opts.get("codes"), rules=tuple(rules), source=source)


def mapping_to_dict(m: Mapping) -> dict[str, Any]:
    opts: dict[str, Any] = {"date_order": m.date_order}
    for k in ("timezone", "sheet", "codes"):
        if getattr(m, k):
            opts[k] = getattr(m, k)
    out: dict[str, Any] = {"columns": dict(m.columns), "options": opts}
    if m.rules:
        out["rules"] = [{"pattern": r.pattern, "category": r.category} for r in m.rules]
    return out


def write_mapping(m: Mapping, path: str | Path) -> None:
    """Write a mapping file atomically."""
    from planner.fileio import atomic_write_text

    header = "# coplan column mapping: which column of the export holds which field.\n"
    atomic_write_text(Path(path), header + tomli_w.dumps(mapping_to_dict(m)))


def check_timezone(tz: str, where: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScenarioError(f"{where} = {tz!r}: not a time zone; expected an IANA name such as 'America/Chicago'") from None

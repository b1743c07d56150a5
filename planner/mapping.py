"""Column mapping: which column of an agency's export holds which field of the canonical call table.

Detection looks at the header names real CAD exports use (and, in `planner.importer.detect`, at what the
columns hold); the result is shown to the user and can be saved as a mapping file (TOML) that overrides
detection from then on. The same file carries the import options (time zone, date order, sheet, code
table, which agencies' calls to keep) and the user's own category rules.
"""

from __future__ import annotations

import os
import re
import stat
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
    "call_type": "call type, nature or problem code (several columns: the first non-blank one decides)",
    "description": "a second call-type or description column",
    "priority": "priority (1 = most urgent)",
    "dispatched_at": "time the first unit was dispatched",
    "arrived_at": "time the first unit arrived on scene",
    "cleared_at": "time the call was cleared / the unit went back in service",
    "unit_id": "unit identifier (one row per unit sent)",
    "units": "number of units sent",
    "district": "district, beat, sector or zone",
    "disposition": "disposition, status or clearance",
    "agency": "agency or discipline (police, fire, EMS, sheriff) in a file of several agencies",
}
# Fields that may name several columns (a list in the mapping file).
MULTI_COLUMN_FIELDS = ("call_type",)
TIME_FIELDS = ("received_at", "received_date", "received_time", "dispatched_at", "arrived_at", "cleared_at")

# Header names seen in real exports, normalised (lower case, letters and digits only), best first.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "call_id": ("incidentnumber", "incidentno", "incidentid", "incident", "eventnumber", "eventno",
                "eventid", "event", "callnumber", "callno", "callid", "cadnumber", "cadincidentnumber",
                "cadeventnumber", "cadid", "masterincidentnumber", "inci_id", "incnum", "id", "objectid"),
    "received_at": ("callreceiveddatetime", "receiveddatetime", "calldatetime", "datetimereceived",
                    "receivedtime", "timereceived", "callreceived", "received", "calltime", "incidentdatetime",
                    "eventdatetime", "createdatetime", "createdtime", "createtime", "datetime", "calldate",
                    "time", "timestamp", "date"),
    "received_date": ("receiveddate", "calldate", "incidentdate", "eventdate", "date"),
    "received_time": ("receivedtime", "calltime", "incidenttime", "eventtime", "time"),
    "call_type": ("calltype", "calltypecode", "typecode", "natureofcall", "nature", "problem", "problemtype",
                  "incidenttype", "eventtype", "type", "callreason", "reason", "reasonfordispatch",
                  "calldescription", "callcode", "naturecode", "incidentcode", "code", "description"),
    "description": ("calltypedescription", "typedescription", "description", "calldescription", "narrative"),
    "priority": ("priority", "callpriority", "prioritylevel", "initialpriority", "prioritynumber", "pri"),
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
    "agency": ("agency", "agencytype", "agencycode", "agencyname", "discipline", "respondingagency",
               "primaryagency", "servicetype", "service", "department", "dept"),
}

# What a header says about a time column: which step of the call it records. Checked in this order on the
# normalised name, so 'Time_To_Dispatch' (a duration) is never a dispatch time and 'TimeFirstCallCleared'
# is a clear time, not a received one.
_TIME_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("duration", re.compile(r"timeto|total|elapsed|duration|minute|mins$|seconds?$|secs$|delay|interval|"
                            r"responsetime|traveltime|birth|dob$|year$|month$|weekday|dayofweek|hour$")),
    ("cleared", re.compile(r"clear|close|complete|available|inservice|depart|finish|endtime|enddate|timeend")),
    ("arrived", re.compile(r"arriv|onscene|atscene|onlocation|atlocation")),
    ("enroute", re.compile(r"enroute|responding|enrt")),
    ("dispatched", re.compile(r"dispatch|disp(?!o)|assign|notif")),
    ("received", re.compile(r"receiv|rcvd|recd|create|entry|entered|start|open|queue|origin|calldate|calltime|"
                            r"responsedate|pickup")),
    ("occurred", re.compile(r"occur|offen[cs]e|crime")),
    ("generic", re.compile(r"date|time|timestamp|when|dt$|tm$")),
)
# Among clear-time names, the unit going back in service beats the incident being closed (often hours later).
_CLEAR_WORDS = re.compile(r"clear|available|inservice|depart")

# Several call-type columns: final beats initial; numbered reasons in their order.
_FINAL = re.compile(r"final|ending|closing|actual")
_INITIAL = re.compile(r"initial|original|orig|starting|first")
_TYPE_WORDS = re.compile(r"calltype|type|nature|problem|reason|complaint")
_NUMBERED = re.compile(r"^(reason|reasonfordispatch|reasonforcall|nature|calltype|type|problem|complaint)(\d{1,2})$")


def normalise_header(name: str) -> str:
    """Lower-case a header and keep letters and digits, so 'Call Type' and 'CALL_TYPE' compare equal."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower().lstrip("\ufeff"))


def time_role(header: str) -> str | None:
    """The step of a call a header names: received, dispatched, enroute, arrived, cleared, occurred,
    generic (a bare 'Date' or 'Time'), duration (not a time of day), or None."""
    norm = normalise_header(header)
    for role, rx in _TIME_ROLES:
        if rx.search(norm):
            return role
    return None


def is_field_name(header: str) -> bool:
    """Whether a header is exactly a name real exports use for a field other than a time ('Type', 'Unit')."""
    norm = normalise_header(header)
    return any(norm in syns for f, syns in _SYNONYMS.items() if f not in TIME_FIELDS)


def is_clear_word(header: str) -> bool:
    """A clear-time name that means the unit was free again (not the incident closed)."""
    return bool(_CLEAR_WORDS.search(normalise_header(header)))


def time_stem(header: str) -> str:
    """A header without its date/time words ('EVENTDT' and 'EVENTTM' -> 'event'), to pair a date with a time."""
    norm = normalise_header(header)
    return re.sub(r"(datetime|date|time|dt|tm|stamp)$", "", re.sub(r"^(date|time)", "", norm))


def call_type_columns(headers: list[str]) -> list[str] | None:
    """Several call-type columns, in the order they decide: final before initial ('Final Call Type',
    'Initial Call Type'), or numbered reasons in order ('Reason #1' ... 'Reason #5'); None when there are none."""
    norm = {h: normalise_header(h) for h in headers}
    typed = [h for h in headers if _TYPE_WORDS.search(norm[h]) and "priority" not in norm[h]]
    # A description pair beats a plain pair, which beats a pair of codes (rules read text best).
    for kind in ("desc", "plain", "code"):
        same = [h for h in typed if ("desc" in norm[h]) == (kind == "desc")
                and ("code" in norm[h] and "desc" not in norm[h]) == (kind == "code")]
        final = [h for h in same if _FINAL.search(norm[h]) and not _INITIAL.search(norm[h])]
        initial = [h for h in same if _INITIAL.search(norm[h]) and not _FINAL.search(norm[h])]
        if final and initial:
            return [final[0], initial[0]]
    groups: dict[str, list[tuple[int, str]]] = {}
    for h in headers:
        m = _NUMBERED.match(norm[h])
        if m:
            groups.setdefault(m.group(1), []).append((int(m.group(2)), h))
    for stem in ("reason", "reasonfordispatch", "reasonforcall", "nature", "calltype", "problem", "complaint",
                 "type"):
        if len(groups.get(stem, ())) >= 2:
            return [h for _, h in sorted(groups[stem])]
    return None


@dataclass(frozen=True)
class CategoryRule:
    """One user rule: call types matching `pattern` (a case-insensitive regular expression) go to `category`."""

    pattern: str
    category: str


@dataclass(frozen=True)
class Mapping:
    """Which source column holds each canonical field, plus the import options.

    `columns` maps a field to one column name; `call_type` may name several (a list), the first non-blank
    of which decides each row's call type. `agencies` lists the values of the agency column whose calls are
    kept (None: the police calls, as detected); other agencies' rows are set aside, counted, not rejected.
    """

    columns: dict[str, str | list[str]] = field(default_factory=dict)
    timezone: str | None = None
    date_order: str = "auto"          # "auto", "mdy", "dmy" or "ymd"
    sheet: str | None = None          # XLSX sheet name; the first sheet when None
    codes: str | None = None          # code table path (code -> description), relative to the mapping file
    rules: tuple[CategoryRule, ...] = ()
    source: Path | None = None        # the file it was read from, to resolve relative paths
    agencies: tuple[str, ...] | None = None

    def with_columns(self, **columns: str | list[str] | None) -> Mapping:
        """A copy with some columns set (or removed, given None)."""
        cols = dict(self.columns)
        for k, v in columns.items():
            if v is None:
                cols.pop(k, None)
            else:
                cols[k] = v
        return replace(self, columns=cols)

    def column_list(self, fieldname: str) -> list[str]:
        """The column(s) a field names, as a list (empty when unmapped)."""
        v = self.columns.get(fieldname)
        if v is None:
            return []
        return list(v) if isinstance(v, (list, tuple)) else [v]

    def codes_path(self) -> Path | None:
        if not self.codes:
            return None
        p = Path(self.codes)
        if not p.is_absolute() and self.source is not None:
            p = self.source.parent / p
        return p


def column_names(value: str | list[str]) -> list[str]:
    """A mapped value (one column or a list of them) as a list."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def detect_columns(headers: list[str]) -> dict[str, str | list[str]]:
    """Guess the canonical field of each header from its name alone; each header is used at most once.

    `planner.importer.detect` also looks at what the columns hold (a time column must hold times); this is
    the part that needs only the names.
    """
    norm = {h: normalise_header(h) for h in headers}
    role = {h: time_role(h) for h in headers}
    taken: set[str] = set()
    found: dict[str, str | list[str]] = {}

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
                    if fieldname not in TIME_FIELDS and role[h] not in (None, "generic", "duration"):
                        continue   # 'Incident Start Time' is not the incident number
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
    several = call_type_columns([h for h in headers if h not in taken])
    if several:
        found["call_type"] = several
        taken.update(several)
    order = ["received_at", "call_type", "description", "priority", "unit_id", "units", "district",
             "disposition", "agency"]
    for f in order:
        if f == "received_at" and "received_date" in found or f in found:
            continue
        h = pick(f)
        if h is not None:
            found[f] = h
            taken.add(h)
    return found


def check_input_file(path: Path, noun: str, max_bytes: int, error: type[Exception]) -> int:
    """The size of an input that is a regular file no larger than max_bytes; else `error`, one line.

    Checked with stat, before anything opens the file: a device (/dev/zero), a named pipe or a socket
    could be read for ever (or block the open itself), and a file far larger than any input of its
    kind is a mistake whose reading would exhaust memory. Messages name the file, never its contents.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise error(f"{path}: {noun} not found") from None
    except NotADirectoryError:
        raise error(f"{path}: {noun} not found (a part of the path is a file, not a folder)") from None
    except (OSError, ValueError) as e:
        raise error(f"{path}: cannot be read ({getattr(e, 'strerror', None) or type(e).__name__})") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{path}: is a folder, not a {noun}")
    if not stat.S_ISREG(st.st_mode):
        what = ("a named pipe" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "a device")
        raise error(f"{path}: not a regular file ({what}); expected a {noun}")
    if st.st_size > max_bytes:
        raise error(f"{path}: {size_words(st.st_size)}, larger than any {noun} coplan reads "
                    f"(at most {size_words(max_bytes)})")
    return st.st_size


def size_words(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n:,} bytes"


# No mapping file is this large (a few dozen lines, perhaps some hundred rules): a bigger file is something else.
MAX_MAPPING_BYTES = 2_000_000


def read_mapping(path: str | Path) -> Mapping:
    """Read a mapping file; errors name the file, key and value (ScenarioError, one line).

    Only a regular file of a sane size is opened: a device, a pipe or a folder is refused before reading
    (/dev/zero or a FIFO would otherwise be read for ever)."""
    path = Path(path)
    check_input_file(path, "mapping file", MAX_MAPPING_BYTES, ScenarioError)
    try:
        with open(path, "rb") as f:
            data_bytes = f.read(MAX_MAPPING_BYTES + 1)
    except OSError as e:
        raise ScenarioError(f"{path}: cannot be read ({e.strerror or type(e).__name__})") from None
    if len(data_bytes) > MAX_MAPPING_BYTES:
        raise ScenarioError(f"{path}: larger than any mapping file (more than {MAX_MAPPING_BYTES // 1_000_000} MB)")
    try:
        data = tomllib.loads(data_bytes.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a readable TOML mapping file (not UTF-8 text)") from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{path}: not a readable TOML mapping file ({e})") from None
    return mapping_from_dict(data, source=path)


def _key(k: object) -> str:
    """A key as written in a message: bare when it is a plain name, quoted otherwise (so a newline in a key
    cannot break the one-line message)."""
    return k if isinstance(k, str) and re.fullmatch(r"[A-Za-z0-9_-]+", k) else repr(k)


def mapping_from_dict(data: dict[str, Any], source: Path | None = None) -> Mapping:
    where = str(source) if source else "mapping"
    unknown = set(data) - {"columns", "options", "rules"}
    if unknown:
        raise ScenarioError(f"{where}: unknown section(s) {sorted(unknown)}; expected columns, options, rules")
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: expected a table with columns, options and rules")
    cols = data.get("columns", {})
    if not isinstance(cols, dict):
        raise ScenarioError(f"{where}: [columns] must be a table of field = \"column name\"")
    for k, v in cols.items():
        if k not in FIELDS:
            raise ScenarioError(f"{where}: columns.{_key(k)} is not a field coplan knows; expected one of {list(FIELDS)}")
        if isinstance(v, list) and k in MULTI_COLUMN_FIELDS:
            if not v or not all(isinstance(c, str) and c for c in v):
                raise ScenarioError(f"{where}: columns.{_key(k)} = {v!r}: expected a column name or a list of them")
            continue
        if not isinstance(v, str) or not v:
            what = "a column name or a list of them" if k in MULTI_COLUMN_FIELDS else "a column name"
            raise ScenarioError(f"{where}: columns.{_key(k)} = {v!r}: expected {what}")
    opts = data.get("options", {})
    if not isinstance(opts, dict):
        raise ScenarioError(f"{where}: [options] must be a table of option = value")
    known_opts = {"timezone", "date_order", "sheet", "codes", "agencies"}
    if set(opts) - known_opts:
        raise ScenarioError(f"{where}: unknown option(s) {sorted(set(opts) - known_opts)}; expected {sorted(known_opts)}")
    date_order = opts.get("date_order", "auto")
    if date_order not in ("auto", "mdy", "dmy", "ymd"):
        raise ScenarioError(f"{where}: options.date_order = {date_order!r}: expected auto, mdy, dmy or ymd")
    for key, what in (("timezone", "a time zone name such as 'America/Chicago'"), ("sheet", "a sheet name"),
                      ("codes", "the path of a code table")):
        v = opts.get(key)
        if v is not None and (not isinstance(v, str) or not v.strip() or "\x00" in v):
            raise ScenarioError(f"{where}: options.{key} = {v!r}: expected {what}")
    tz = opts.get("timezone")
    if tz is not None:
        check_timezone(tz, f"{where}: options.timezone")
    agencies = opts.get("agencies")
    if agencies is not None:
        if not isinstance(agencies, list) or not all(isinstance(a, str) and a.strip() for a in agencies):
            raise ScenarioError(f"{where}: options.agencies = {agencies!r}: expected a list of the agency "
                                "column's values whose calls to keep, e.g. [\"POLICE\"]")
        agencies = tuple(agencies)
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        raise ScenarioError(f"{where}: rules must be a list of [[rules]] tables with pattern and category")
    from planner.taxonomy import user_pattern_problem

    rules = []
    for i, r in enumerate(raw_rules, start=1):
        if not isinstance(r, dict) or "pattern" not in r or "category" not in r:
            raise ScenarioError(f"{where}: rules[{i}] needs pattern and category")
        if not isinstance(r["category"], str) or not r["category"]:
            raise ScenarioError(f"{where}: rules[{i}].category = {r['category']!r}: expected a category name")
        problem = user_pattern_problem(r["pattern"])
        if problem:
            shown = r["pattern"] if not isinstance(r["pattern"], str) or len(r["pattern"]) <= 80 else \
                r["pattern"][:77] + "..."
            raise ScenarioError(f"{where}: rules[{i}].pattern = {shown!r} {problem}")
        rules.append(CategoryRule(r["pattern"], r["category"]))
    return Mapping(columns={k: (list(v) if isinstance(v, list) else v) for k, v in cols.items()}, timezone=tz,
                   date_order=date_order, sheet=opts.get("sheet"), codes=opts.get("codes"), rules=tuple(rules),
                   source=source, agencies=agencies)


def mapping_to_dict(m: Mapping) -> dict[str, Any]:
    opts: dict[str, Any] = {"date_order": m.date_order}
    for k in ("timezone", "sheet", "codes"):
        if getattr(m, k):
            opts[k] = getattr(m, k)
    if m.agencies is not None:
        opts["agencies"] = list(m.agencies)
    cols = {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in m.columns.items()}
    out: dict[str, Any] = {"columns": cols, "options": opts}
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
        if not isinstance(tz, str) or "\x00" in tz:
            raise ValueError(tz)
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise ScenarioError(f"{where} = {tz!r}: not a time zone; expected an IANA name such as 'America/Chicago'") from None

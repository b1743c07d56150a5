"""Import a calls-for-service export into the canonical call table, accounting for every row.

Every data row of the file ends up in a call (several rows sharing an incident number become one call
with a unit count), in the rejects table with its row number, column, value and reason, or - in a file
of several agencies - set aside as another agency's call, counted per agency:
rows read = rows imported + rows rejected + rows set aside (checked at the end of every import).
Row numbers are those a spreadsheet shows: the header is row 1, the first record row 2.

Nothing is lost and nothing hangs: a quote that never closes costs its own row, not the rows after it
(`_read_csv_exact`); a workbook is read by its cells, not the size it states (`_read_xlsx`); impossible
dates and times are rejected, never rolled over, and rows far outside the export's own period are rejected
as such (`_outside_period`); an input that is not a regular file, or is far larger than any of its kind, is
refused before it is opened (`check_input_file`); a message about a file names it and the problem, and
quotes its column names only when it read as a table.

Which column is which is found from what the columns hold as well as their names (`detect`): a time
column must hold date-times in most rows, the received time is the earliest step of a chain of
timestamps, a date with a placeholder time is read with a separate time-of-day column; each choice keeps
its reason and the runner-up, for the user to check.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from planner.errors import ImportFailed
from planner.mapping import (
    TIME_FIELDS,
    Mapping,
    call_type_columns,
    check_input_file,
    column_names,
    detect_columns,
    is_clear_word,
    is_field_name,
    size_words,
    time_role,
    time_stem,
)
from planner.taxonomy import Taxonomy, default_taxonomy, outcome_hints

REJECT_COLUMNS = ["source_row", "column", "value", "reason"]
CSV_SUFFIXES = {".csv", ".txt", ".tsv", ".gz"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}

# A secondary time more than this after the call was received is taken as a typing error, not a duration.
MAX_PLAUSIBLE_HOURS = 24
# A time-only value earlier than the received clock is taken as the next day only within this window.
NEXT_DAY_WINDOW_HOURS = 12
# A secondary time of exactly midnight is believed only when the call came in this close before midnight.
MIDNIGHT_BELIEVED_WITHIN_HOURS = 4


@dataclass
class RawTable:
    """The file as text: one string column per source column, plus rows that could not be split."""

    frame: pd.DataFrame              # all columns as strings (missing = NA)
    source_row: np.ndarray           # spreadsheet row number of each frame row
    rejects: list[tuple[int, str, str, str]]
    rows_read: int                   # data rows in the file, including rejected ones
    kind: str                        # "csv", "xlsx" or "parquet"
    encoding: str | None = None
    delimiter: str | None = None
    is_table: bool = True            # read as a table of columns (else its first line is not a header)


@dataclass(frozen=True)
class ColumnChoice:
    """Why a column was taken for a field, and the column that came next (and why it lost)."""

    field: str
    column: str
    why: str
    runner_up: str | None = None
    runner_up_why: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"field": self.field, "column": self.column, "why": self.why, "runner_up": self.runner_up,
                "runner_up_why": self.runner_up_why}


@dataclass
class ImportResult:
    """Calls, rejects and what the import did, for the data-quality page and the CLI.

    Every row read is accounted for: rows_read = rows_imported + rows_rejected + rows_set_aside, where
    rows_imported = calls_imported + rows_merged and the rows set aside are other agencies' calls in a
    multi-agency file (counted per agency, neither rejected nor dropped).
    """

    calls: pd.DataFrame
    rejects: pd.DataFrame
    rows_read: int
    rows_merged: int                 # rows folded into another row's call (extra units of one incident)
    mapping: Mapping                 # the mapping actually used (detected columns with overrides applied)
    detected: dict[str, str | list[str]]
    notes: list[str] = field(default_factory=list)
    source: Path | None = None
    timezone: str | None = None
    set_aside: dict[str, int] = field(default_factory=dict)    # rows of agencies not kept, by agency value
    agencies: dict[str, int] = field(default_factory=dict)     # rows per value of the agency column
    column_choices: list[ColumnChoice] = field(default_factory=list)
    not_times: dict[str, str] = field(default_factory=dict)   # columns named like times that hold none, why

    @property
    def calls_imported(self) -> int:
        return len(self.calls)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejects)

    @property
    def rows_set_aside(self) -> int:
        return int(sum(self.set_aside.values()))

    @property
    def rows_imported(self) -> int:
        return self.rows_read - self.rows_rejected - self.rows_set_aside

    def rejections(self) -> dict[str, int]:
        """Rejected rows counted by reason, largest first."""
        if self.rejects.empty:
            return {}
        return {str(k): int(v) for k, v in self.rejects["reason"].value_counts().items()}

    def check_accounting(self) -> None:
        """Every row read is a call, a further unit of one, rejected or set aside: raise if not (a bug)."""
        parts = self.calls_imported + self.rows_merged + self.rows_rejected + self.rows_set_aside
        if parts != self.rows_read:
            raise RuntimeError(
                f"{self.source}: rows do not add up: {self.rows_read} read, but {self.calls_imported} calls + "
                f"{self.rows_merged} extra units + {self.rows_rejected} rejected + {self.rows_set_aside} set aside "
                f"= {parts}")


# --------------------------------------------------------------------------------------------- reading
# Inputs larger than these are not what they claim to be, or would not fit in memory once read: refused
# before reading, in one line. A million-row CSV export is about 90 MB; Excel stops at 1,048,576 rows.
MAX_CSV_BYTES = 2 * 1024**3            # CSV text, also after gunzip
MAX_GZIP_BYTES = 1024**3               # a .gz file as it lies on disk
MAX_XLSX_BYTES = 512 * 1024**2
MAX_XLSX_PART_BYTES = 2 * 1024**3      # one part (a sheet's XML, the shared strings) once unzipped
MAX_PARQUET_BYTES = 2 * 1024**3
MAX_CODE_TABLE_BYTES = 64 * 1024**2
# Cells a sheet's used area may span and still be read by calamine, which holds that area as one dense
# block (32 bytes a cell): a stray value at XFD1048576 would otherwise ask for half a terabyte and abort
# the process. A larger area is read cell by cell with openpyxl instead.
MAX_DENSE_XLSX_CELLS = 40_000_000


def read_raw(path: Path, sheet: str | None = None, what: str = "calls export") -> RawTable:
    """Read a CSV (any common delimiter, UTF-8 with or without BOM, or Latin-1), XLSX or Parquet file.

    Only a regular file of a sane size for its kind is opened (devices, pipes and folders are refused
    before reading); every failure is an ImportFailed naming the file and the problem, never its contents.
    """
    path = Path(path)
    code_table = what != "calls export"
    expected = ("expected a code table: CSV or XLSX with code and description" if code_table else
                "expected a calls export: CSV (optionally .gz), XLSX or Parquet")
    size = check_input_file(path, "code table file" if code_table else "calls file",
                            MAX_CODE_TABLE_BYTES if code_table else
                            max(MAX_CSV_BYTES, MAX_PARQUET_BYTES), ImportFailed)
    suffix = path.suffix.lower()
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise ImportFailed(f"{path}: cannot be read ({e.strerror or type(e).__name__})") from None
    # A workbook or Parquet file saved under another name is read for what it is.
    if magic == b"PK\x03\x04" and suffix not in XLSX_SUFFIXES:
        suffix = ".xlsx"
    elif magic == b"PAR1":
        suffix = ".parquet"
    elif magic[:2] == b"\x1f\x8b":
        suffix = ".gz"
    limit = {".xlsx": MAX_XLSX_BYTES, ".xlsm": MAX_XLSX_BYTES, ".gz": MAX_GZIP_BYTES}.get(
        suffix, MAX_PARQUET_BYTES if suffix in PARQUET_SUFFIXES else MAX_CSV_BYTES)
    if not code_table and size > limit:
        raise ImportFailed(f"{path}: {size_words(size)}, larger than any {_KIND_WORDS.get(suffix, 'CSV')} "
                           f"calls export coplan reads (at most {size_words(limit)})")
    try:
        if suffix in XLSX_SUFFIXES:
            return _read_xlsx(path, sheet)
        if suffix in PARQUET_SUFFIXES:
            return _read_parquet(path)
        return _read_csv(path, gzipped=magic[:2] == b"\x1f\x8b")
    except ImportFailed:
        raise
    except MemoryError:
        raise ImportFailed(f"{path}: too large to read in the memory this machine has") from None
    except (OSError, ValueError, pa.ArrowException, csv.Error, KeyError, EOFError, zipfile.BadZipFile,
            UnicodeError, zlib.error, NotImplementedError, RuntimeError) as e:
        # (zlib: damaged compressed data; zipfile: NotImplementedError for an unknown compression method,
        # RuntimeError for an encrypted part.)
        # The reason in words, never the library's message: some quote the file's own text.
        raise ImportFailed(f"{path}: could not read the file ({_error_words(e)}); {expected}") from None


_KIND_WORDS = {".xlsx": "Excel", ".xlsm": "Excel", ".gz": "gzip", ".parquet": "Parquet", ".pq": "Parquet"}


def _error_words(e: BaseException) -> str:
    """What went wrong reading a file, without quoting the file."""
    if isinstance(e, OSError) and e.strerror:
        return e.strerror.lower()
    if isinstance(e, (zipfile.BadZipFile, EOFError, zlib.error)):
        return "damaged or incomplete compressed data"
    if isinstance(e, (NotImplementedError, RuntimeError)):
        return "compressed or encrypted in a way coplan cannot read"
    if isinstance(e, gzip.BadGzipFile):
        return "damaged gzip data"
    if isinstance(e, UnicodeError):
        return "text in an unknown encoding"
    if isinstance(e, pa.ArrowException):
        return f"damaged or not this kind of file ({type(e).__name__})"
    return type(e).__name__


def _open_bytes(path: Path, gzipped: bool) -> bytes:
    """The file's bytes (gunzipped), at most MAX_CSV_BYTES: a gzip bomb stops at the limit, in one line."""
    if gzipped:
        out = io.BytesIO()
        with gzip.open(path, "rb") as f:
            while chunk := f.read(1 << 24):
                out.write(chunk)
                if out.tell() > MAX_CSV_BYTES:
                    raise ImportFailed(f"{path}: unpacks to more than {size_words(MAX_CSV_BYTES)}, larger than "
                                       "any CSV calls export coplan reads")
        return out.getvalue()
    with open(path, "rb") as f:
        data = f.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise ImportFailed(f"{path}: larger than any CSV calls export coplan reads "
                           f"(at most {size_words(MAX_CSV_BYTES)})")
    return data


# Byte-order marks of the Unicode encodings Excel and other tools save text in ("Unicode Text" is UTF-16 LE).
# UTF-32 LE first: its mark begins with UTF-16 LE's.
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _unicode_bom_to_utf8(data: bytes, path: Path) -> bytes:
    """UTF-16 or UTF-32 text with a byte-order mark, re-encoded as UTF-8; other bytes unchanged."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding).encode("utf-8")
            except UnicodeDecodeError as e:
                raise ImportFailed(f"{path}: not readable as {encoding.upper()} text, though it starts like it "
                                   f"(byte {e.start}: {e.reason})") from None
    return data


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, n in enumerate(names):
        n = n.strip() or f"column_{i + 1}"
        if n in seen:
            seen[n] += 1
            n = f"{n}.{seen[n]}"
        else:
            seen[n] = 0
        out.append(n)
    return out


def _line_records(data: bytes) -> int:
    """Records the file would hold after its header if no field ran over a line break: its lines - 1."""
    breaks = data.count(b"\n") if b"\n" in data else data.count(b"\r")
    ends_with_break = data.endswith((b"\n", b"\r"))
    return breaks + (0 if ends_with_break else 1) - 1


def _read_csv(path: Path, gzipped: bool = False) -> RawTable:
    data = _unicode_bom_to_utf8(_open_bytes(path, gzipped), path)
    if not data.strip():
        raise ImportFailed(f"{path}: the file is empty")
    if data.count(b"\x00", 0, 4096) > 64:
        raise ImportFailed(f"{path}: not a text file (binary content); expected CSV, XLSX or Parquet")
    try:
        data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "latin-1"
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text_head = data[:65536].decode(encoding, errors="replace")
    # Only CR and LF end a line in a CSV (str.splitlines would also split at form feeds and the like).
    first_line = re.split(r"\r\n|\r|\n", text_head, maxsplit=1)[0]
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    delimiter = max(counts, key=lambda d: counts[d])
    if counts[delimiter] == 0:
        delimiter = ","
    header = next(csv.reader([first_line], delimiter=delimiter), [""])
    names = _dedupe(header)

    import pyarrow.csv as pacsv

    invalid: list[object] = []

    def on_invalid(row: object) -> str:
        invalid.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                           encoding="utf8" if encoding == "utf-8" else "latin1"),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid,
                                              ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=True, quoted_strings_can_be_null=True),
        )
    except pa.ArrowInvalid:
        invalid.append("parse error")
        table = None
    # As many records as lines, or a quoted field ran over a line break: a real multi-line field, or a quote
    # that never closes and swallows the rows after it. The exact reader tells them apart.
    if invalid or table is None or table.num_rows != _line_records(data):
        # The slower reader numbers every record exactly and takes back a runaway quote.
        return _read_csv_exact(data.decode(encoding, errors="replace"), delimiter, names, encoding)
    import pyarrow.compute as pc

    source_row = np.arange(2, table.num_rows + 2, dtype=np.int64)
    # A blank line (or one of bare delimiters) is not a row of data, but it keeps its place in the numbering.
    blank = None
    for col in table.columns:
        nul = pc.is_null(col)
        blank = nul if blank is None else pc.and_(blank, nul)
    if blank is not None and pc.any(blank).as_py():
        keep = pc.invert(blank)
        table = table.filter(keep)
        source_row = source_row[keep.to_numpy(zero_copy_only=False)]
    frame = table.to_pandas()
    return RawTable(frame=frame, source_row=source_row, rejects=[], rows_read=len(frame),
                    kind="csv", encoding=encoding, delimiter=delimiter, is_table=len(names) >= 2)


class _Lines:
    """The physical lines of a text, handed to csv.reader one at a time; `pos` is the next line's index,
    so the reader can be restarted on any line."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.pos = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        self.pos += 1
        return self.lines[self.pos - 1]


UNCLOSED_QUOTE = "a quote that is never closed (the field would run on into the rows below)"


def _swallows_rows(spanned: list[str], delimiter: str, ncols: int) -> bool:
    """Whether the lines a quoted field ran on into look like rows of their own: a full set of fields.

    Lines inside a real multi-line field (a narrative) hold text; a quote that never closed swallows
    whole rows, each with the header's number of fields (on the last line, up to where a quote closes
    the field)."""
    for line in spanned[:-1]:
        if '"' not in line and line.count(delimiter) == ncols - 1 and line.strip():
            return True
    last = spanned[-1].split('"', 1)[0]
    return last.count(delimiter) == ncols - 1 and bool(last.strip())


def _read_csv_exact(text: str, delimiter: str, names: list[str], encoding: str) -> RawTable:
    """Record by record with the csv module, numbering each as a spreadsheet would (the header is row 1).

    A row with the wrong number of fields is rejected with its row number. A quoted field that runs over
    a line break and then breaks the record (the column count, a quote that does not end a field, the
    end of the file) or swallows lines that are rows of their own is taken back: its first line is
    rejected (a quote that is never closed) and reading resumes on the next line, so one stray quote
    costs one row, not the rest of the file. Real multi-line fields that close are kept. A record on one
    line is read as leniently as the fast reader reads it (a stray quote inside a field is kept).
    """
    ncols = len(names)
    lines = _Lines(list(io.StringIO(text, newline="")))   # splits at CR, LF and CRLF only
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    source_rows: list[int] = []
    rejects: list[tuple[int, str, str, str]] = []
    rows_read = 0
    rownum = 0
    table_like = 0
    while True:
        start = lines.pos
        problem = None
        try:
            rec = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            if lines.pos - start > 1:
                problem = UNCLOSED_QUOTE
            else:   # one line: read it leniently, as the fast reader does
                try:
                    rec = next(csv.reader([lines.lines[start]], delimiter=delimiter), [])
                except csv.Error:   # a field beyond the csv module's size limit, a NUL byte
                    problem = f"unreadable line ({str(e).split(':')[0]})"
                lines.pos = start + 1
                reader = csv.reader(lines, delimiter=delimiter, strict=True)
        else:
            spanned = lines.lines[start + 1:lines.pos]
            if spanned and (len(rec) != ncols or _swallows_rows(spanned, delimiter, ncols)):
                problem = UNCLOSED_QUOTE
        rownum += 1
        if problem is not None:
            # Take the record back: only its first line is lost (and reported); read on from the next one.
            lines.pos = start + 1
            reader = csv.reader(lines, delimiter=delimiter, strict=True)
            if rownum > 1:
                rows_read += 1
                rejects.append((rownum, "", lines.lines[start].rstrip("\r\n")[:200], problem))
            continue
        if rownum == 1:
            continue   # the header
        if not rec or all(not c.strip() for c in rec):
            continue  # a blank line is not a row of data
        rows_read += 1
        if len(rec) != ncols:
            raw = delimiter.join(rec)
            rejects.append((rownum, "", raw[:200], f"has {len(rec)} fields, expected {ncols}"))
            continue
        table_like += 1
        rows.append(rec)
        source_rows.append(rownum)
    frame = pd.DataFrame(rows, columns=names, dtype="string") if rows else pd.DataFrame(
        {n: pd.Series([], dtype="string") for n in names})
    frame = frame.replace("", pd.NA)
    # A table: several columns, and most rows have as many fields as the header.
    is_table = ncols >= 2 and table_like * 2 >= rows_read
    return RawTable(frame=frame, source_row=np.asarray(source_rows, dtype=np.int64), rejects=rejects,
                    rows_read=rows_read, kind="csv", encoding=encoding, delimiter=delimiter, is_table=is_table)


def _cell_text(v: object) -> str | None:
    if v is None:
        return None
    t = type(v)
    if t is str:
        return v if v.strip() else None
    if t is float and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        secs = int(v.total_seconds())
        return f"{secs // 3600}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    s = str(v)
    return s if s.strip() else None


def _read_xlsx(path: Path, sheet: str | None) -> RawTable:
    """An Excel sheet read by its cells, never by the size it states (often wrong in files written by
    other tools): every row that holds a value is read, trailing empty rows and columns end the table.

    python-calamine reads ten to twenty times faster than openpyxl; it holds the sheet's used area as
    one dense block, so the area is measured from the cells' references first (`_sheet_extent`) and a
    sheet whose area is too large for that (a stray value far from the table) is read with openpyxl,
    cell by cell."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise ImportFailed(f"{path}: not a readable Excel workbook ({_error_words(e)})") from None
    with zf:
        names, parts = _workbook_sheets(zf, path)
        if not names:
            raise ImportFailed(f"{path}: not a readable Excel workbook (it lists no sheets)")
        if sheet is not None and sheet not in names:
            raise ImportFailed(f"{path}: no sheet named {sheet!r}; the workbook has {names}")
        title = sheet if sheet is not None else names[0]
        for info in zf.infolist():
            if info.file_size > MAX_XLSX_PART_BYTES:
                raise ImportFailed(f"{path}: a part of the workbook ({info.filename}) unpacks to "
                                   f"{size_words(info.file_size)}, more than any calls export holds")
        part = parts.get(title)
        extent = _sheet_extent(zf, part, path) if part else None
    try:
        import python_calamine
    except ImportError:          # a dependency of coplan; openpyxl reads the same cells, only slower
        python_calamine = None
    if python_calamine is not None and extent is not None and extent[0] * extent[1] <= MAX_DENSE_XLSX_CELLS:
        rows_iter = _calamine_rows(path, title)
    else:
        rows_iter = _openpyxl_rows(path, title)
    return _table_from_rows(path, title, rows_iter)


_SHEET_RX = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?>', re.S)
_ATTR_RX = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_REL_RX = re.compile(rb'<(?:\w+:)?Relationship\b[^>]*?>', re.S)


def _workbook_sheets(zf: zipfile.ZipFile, path: Path) -> tuple[list[str], dict[str, str]]:
    """Sheet names in workbook order, and the zip part holding each sheet's cells."""
    import html

    def small(name: str) -> bytes:
        try:
            info = zf.getinfo(name)
        except KeyError:
            return b""
        if info.file_size > 16 * 1024**2:
            raise ImportFailed(f"{path}: not a readable Excel workbook ({name} is {size_words(info.file_size)})")
        return zf.read(name)

    wb = small("xl/workbook.xml")
    if not wb:
        raise ImportFailed(f"{path}: not an Excel workbook (a zip file without xl/workbook.xml)")
    rels = {}
    for m in _REL_RX.finditer(small("xl/_rels/workbook.xml.rels")):
        attrs = dict(_ATTR_RX.findall(m.group(0)))
        if b"Id" in attrs and b"Target" in attrs:
            target = attrs[b"Target"].decode("utf-8", "replace").lstrip("/")
            rels[attrs[b"Id"]] = target if target.startswith("xl/") else f"xl/{target}"
    names, parts = [], {}
    for m in _SHEET_RX.finditer(wb):
        attrs = dict(_ATTR_RX.findall(m.group(0)))
        if b"name" not in attrs:
            continue
        name = html.unescape(attrs[b"name"].decode("utf-8", "replace"))
        names.append(name)
        rid = next((v for k, v in attrs.items() if k.endswith(b":id") or k == b"id"), None)
        if rid in rels:
            parts[name] = rels[rid]
    return names, parts


_CELL_REF_RX = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})(\d{1,9})"')
_ROW_REF_RX = re.compile(rb'<(?:\w+:)?row\s[^>]*?\br="(\d{1,9})"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _above(value: str, digit: str, first: str) -> str:
    """A regex for the strings of `digit` characters (a class such as 0-9 or A-Z) that read as more than
    `value`: longer ones, or as long and larger at the first place they differ."""
    lo, hi = digit.split("-")
    alts = [f"[{first}][{digit}]{{{len(value)},}}"]
    for i, ch in enumerate(value):
        if ch < hi:
            alts.append(f"{re.escape(value[:i])}[{chr(ord(ch) + 1)}-{hi}][{digit}]{{{len(value) - i - 1}}}")
    return "(?:" + "|".join(alts) + ")"


_UNREFERENCED_CELL_RX = re.compile(rb'<c[ >](?!r=")')
_LAST_ROW_RX = re.compile(rb'<row r="(\d{1,9})"')


def _beyond(max_row: int, max_col: int) -> re.Pattern[bytes]:
    """A search for any cell reference past row max_row or column max_col."""
    letters, n = "", max(max_col, 1)
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return re.compile((r' r="(?:' + _above(letters, "A-Z", "A-Z") + r"\d|[A-Z]{1,3}"
                       + _above(str(max(max_row, 1)), "0-9", "1-9") + '")').encode())


def _sheet_extent(zf: zipfile.ZipFile, part: str, path: Path) -> tuple[int, int] | None:
    """(rows, columns) of the area a sheet's cells reach, from their references, without parsing the XML;
    None when some cell is written without a reference (its place is then only known by parsing).

    Streams the part in chunks (memory for one chunk, whatever the sheet's size; a zip bomb stops at
    MAX_XLSX_PART_BYTES). After the first chunk the usual file costs a few failing searches a chunk: the
    furthest row and column seen so far are known, and nothing lies beyond them; only a chunk where
    something does has all its references read."""
    try:
        info = zf.getinfo(part)
    except KeyError:
        return None
    max_row = max_col = 0
    first = True
    total = 0
    tail = b""
    with zf.open(info) as f:
        while True:
            chunk = f.read(8 << 20)
            total += len(chunk)
            if total > MAX_XLSX_PART_BYTES:
                raise ImportFailed(f"{path}: the sheet unpacks to more than {size_words(MAX_XLSX_PART_BYTES)}, "
                                   "more than any calls export holds")
            buf = tail + chunk
            cut = buf.rfind(b"<") if chunk else -1
            buf, tail = (buf[:cut], buf[cut:]) if cut > 0 else (buf, b"")
            # Rows come in order: the last row of the chunk is its furthest, unless a reference says otherwise.
            last = buf.rfind(b'<row r="')
            if last >= 0 and (m := _LAST_ROW_RX.match(buf, last)):
                max_row = max(max_row, int(m.group(1)))
            if (first or _UNREFERENCED_CELL_RX.search(buf) or b":c " in buf or b":c>" in buf
                    or _beyond(max_row, max_col).search(buf)):
                # Read every reference of this chunk: the first one, or cells written another way or beyond
                # the area seen so far.
                found = _CELL_REF_RX.findall(buf)
                cells = sum(buf.count(t) for t in (b"<c ", b"<c>", b":c ", b":c>"))
                if len(found) < cells:
                    return None
                if found:
                    max_row = max(max_row, max(int(d) for _, d in found))
                    max_col = max(max_col, max(map(_column_number, {c for c, _ in found})))
            first = False
            if not chunk:
                break
    return max_row, max_col


def _calamine_rows(path: Path, title: str) -> Iterator[tuple[int, list]]:
    """(spreadsheet row number, cell values) of each row of a sheet's used area, read by python-calamine."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    try:
        sh = wb.get_sheet_by_name(title)
        first = (sh.start[0] if sh.start else 0) + 1
        yield from enumerate(sh.iter_rows(), start=first)
    finally:
        wb.close()


def _openpyxl_rows(path: Path, title: str) -> Iterator[tuple[int, tuple]]:
    """(spreadsheet row number, cell values) of each row, read cell by cell by openpyxl."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb[title]
        # The size a sheet states is often wrong: read the cells there are, not the stated area.
        ws.reset_dimensions()
        yield from enumerate(ws.iter_rows(values_only=True), start=1)
    finally:
        wb.close()


def _table_from_rows(path: Path, title: str, rows_iter: Iterator[tuple[int, Sequence[object]]]) -> RawTable:
    """The first row holding a value is the header; rows with no value are skipped (they keep their number);
    columns past the header's last name are not part of the table."""
    try:
        header = None
        for _rownum, rec in rows_iter:
            texts = [_cell_text(c) for c in rec]
            if any(texts):
                header = [t or "" for t in texts]
                break
        if header is None:
            raise ImportFailed(f"{path}: sheet {title!r} is empty")
        while header and not header[-1].strip():
            header.pop()
        names = _dedupe(header)
        ncols = len(names)
        rows, source_rows = [], []
        for rownum, rec in rows_iter:
            cells = [_cell_text(c) for c in rec[:ncols]]
            if not any(cells) and not any(_cell_text(c) for c in rec[ncols:]):
                continue
            if len(cells) < ncols:
                cells += [None] * (ncols - len(cells))
            rows.append(cells)
            source_rows.append(rownum)
    except ImportFailed:
        raise
    except Exception as e:  # the readers raise many types for a damaged or foreign workbook
        raise ImportFailed(f"{path}: not a readable Excel workbook ({type(e).__name__})") from None
    finally:
        close = getattr(rows_iter, "close", None)
        if close is not None:
            close()
    frame = pd.DataFrame(rows, columns=names, dtype="string") if rows else pd.DataFrame(
        {n: pd.Series([], dtype="string") for n in names})
    return RawTable(frame=frame, source_row=np.asarray(source_rows, dtype=np.int64), rejects=[],
                    rows_read=len(rows), kind="xlsx")


def _read_parquet(path: Path) -> RawTable:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except pa.ArrowException as e:
        raise ImportFailed(f"{path}: not a readable Parquet file ({e})") from None
    cols = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_timestamp(col.type) and col.type.tz is not None:
            col = col.cast(pa.timestamp(col.type.unit))  # wall-clock UTC, marked below
            cols[name] = pd.Series(col.cast(pa.string()).to_pandas()).str.replace(" ", "T") + "Z"
            continue
        cols[name] = col.cast(pa.string()).to_pandas()
    frame = pd.DataFrame(cols).astype("string")
    frame.columns = _dedupe([str(c) for c in frame.columns])
    n = len(frame)
    return RawTable(frame=frame, source_row=np.arange(2, n + 2, dtype=np.int64), rejects=[], rows_read=n,
                    kind="parquet")


# ---------------------------------------------------------------------------------------------- times
_OFFSET_RX = r"(?:Z|[+-]\d{2}:?\d{2})\s*$"

_TIME_PARTS = ["%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p", "%H:%M:%S.%f", "%I:%M:%S.%f %p"]


def _with_times(dates: list[str]) -> list[str]:
    return [f"{d} {t}" for d in dates for t in _TIME_PARTS] + dates


# Date-time shapes: each value is tried only with the formats of its own shape.
_FAMILIES: list[tuple[str, dict[str, list[str]]]] = [
    (r"^\d{4}-\d{1,2}-\d{1,2}", {"any": ["ISO8601"]}),
    (r"^\d{4}/\d{1,2}/\d{1,2}", {"any": _with_times(["%Y/%m/%d"])}),
    (r"^\d{1,2}/\d{1,2}/\d{2,4}", {"mdy": _with_times(["%m/%d/%Y", "%m/%d/%y"]),
                                    "dmy": _with_times(["%d/%m/%Y", "%d/%m/%y"])}),
    (r"^\d{1,2}-\d{1,2}-\d{2,4}", {"mdy": _with_times(["%m-%d-%Y", "%m-%d-%y"]),
                                    "dmy": _with_times(["%d-%m-%Y", "%d-%m-%y"])}),
    (r"^\d{1,2}\.\d{1,2}\.\d{2,4}", {"dmy": _with_times(["%d.%m.%Y", "%d.%m.%y"])}),
]


def _extract(values: pd.Series, pattern: str, names: list[str]) -> dict[str, np.ndarray]:
    """Regex groups as float arrays (NaN where no match), computed in Arrow rather than row by row."""
    import pyarrow.compute as pc

    m = pc.extract_regex(_arrow_strings(values), pattern)
    out = {}
    for name in names:
        field = m.field(name)
        if name == "ampm":
            out[name] = pc.fill_null(pc.utf8_upper(pc.replace_substring(field, ".", "")), "").to_numpy(
                zero_copy_only=False)
        else:
            empty = pc.equal(field, "")
            out[name] = pc.cast(pc.if_else(empty, None, field), pa.float64()).to_numpy(zero_copy_only=False)
    return out


_CLOCK_NAMED = r"^\s*(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<sec>\d{2})(?:[.,]\d+)?)?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?\s*$"
_HHMM_NAMED = r"^\s*(?P<hh>\d{2})(?P<mm>\d{2})\s*$"


def _arrow_strings(values: pd.Series) -> pa.Array:
    arr = pa.array(values.astype("string[pyarrow]").array)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


# Dates a nanosecond clock holds: further out is not a date at all. Inside, a date far from the export's
# period (1900, 2099) is read, then rejected as outside the period (`_outside_period`), with that reason.
_EARLIEST, _LATEST = np.datetime64("1700-01-01", "s"), np.datetime64("2200-01-01", "s")


def _bounded_ns(values: np.ndarray) -> np.ndarray:
    """datetime64 of any unit -> datetime64[ns], with dates outside 1700-2200 (not dates at all) as NaT."""
    v = values.astype("datetime64[s]")
    bad = ~np.isnat(v) & ((v < _EARLIEST) | (v >= _LATEST))
    v[bad] = np.datetime64("NaT")
    return v.astype("datetime64[ns]")


def _parse_format(values: pd.Series, fmt: str) -> pd.Series:
    """Values parsed with one format (NaT where it does not fit), at C speed: Arrow's strict strptime,
    or pandas for ISO 8601 and fractional seconds, which Arrow's parser does not take."""
    if fmt == "ISO8601" or "%f" in fmt:
        parsed = pd.to_datetime(values, format=fmt, errors="coerce")
        return pd.Series(_bounded_ns(parsed.to_numpy(dtype="datetime64[us]")) if len(parsed) else
                         parsed.astype("datetime64[ns]"), index=values.index)
    import pyarrow.compute as pc

    strings = _arrow_strings(values)
    parsed = pc.strptime(strings, format=fmt, unit="s", error_is_null=True)
    out = _bounded_ns(parsed.to_numpy(zero_copy_only=False))
    out[_carried_over(strings, out, fmt)] = np.datetime64("NaT")
    return pd.Series(out, index=values.index)


_DATE_NUMBERS = r"^\s*(?P<p1>\d{1,4})[-/.](?P<p2>\d{1,2})[-/.](?P<p3>\d{1,4})"
_LEAP_SECOND_RX = r":6[01](?:\D|$)"


def _carried_over(strings: pa.Array, parsed: np.ndarray, fmt: str) -> np.ndarray:
    """Rows that strptime read by carrying an impossible value over: 31 February as 3 March, 23:59:60 as
    midnight. Such a value is impossible, not a date. Only rows that could be one are looked at again:
    a carried-over day lands on the 1st to 3rd of the next month, a carried-over second on :00 or :01."""
    import pyarrow.compute as pc

    bad = np.zeros(len(parsed), dtype=bool)
    got = ~np.isnat(parsed)
    order = re.findall(r"%([mdYy])", fmt)[:3]
    if len(order) == 3 and got.any():
        stamps = pa.array(parsed, from_pandas=True)
        day = pc.fill_null(pc.day(stamps), 99).to_numpy(zero_copy_only=False)
        idx = np.flatnonzero(got & (day <= 3))
        if len(idx):
            written = pc.extract_regex(strings.take(pa.array(idx)), _DATE_NUMBERS)
            parts = {k: pc.cast(written.field(f"p{i}"), pa.int64()).to_numpy(zero_copy_only=False)
                     for i, k in enumerate(order, start=1)}
            month = pc.month(stamps.take(pa.array(idx))).to_numpy(zero_copy_only=False)
            with np.errstate(invalid="ignore"):
                bad[idx] = (parts["m"] != month) | (parts["d"] != day[idx])
    if "%S" in fmt and got.any():
        hits = pc.match_substring(strings, ":6")      # minutes and seconds of 60 and more: rare, then checked
        if pc.any(hits).as_py():
            idx = np.flatnonzero(pc.fill_null(hits, False).to_numpy(zero_copy_only=False))
            leap = pc.match_substring_regex(strings.take(pa.array(idx)), _LEAP_SECOND_RX)
            bad[idx] |= pc.fill_null(leap, False).to_numpy(zero_copy_only=False)
    return bad & got


_CLOCK_FORMATS = ["%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p"]


_SECONDS_1900 = -2208988800  # Arrow's strptime puts a time-only value on 1900-01-01


def parse_clock(values: pd.Series) -> pd.Series:
    """Seconds after midnight of time-only text ('14:05', '2:05:09 PM', '1405'); NaN where not a clock."""
    import pyarrow.compute as pc

    strings = pc.utf8_trim_whitespace(_arrow_strings(values))
    n = len(strings)
    out = np.full(n, np.nan)
    left = ~np.asarray(pc.is_null(strings).to_numpy(zero_copy_only=False), dtype=bool)

    def seconds(arr: pa.Array, fmt: str) -> np.ndarray:
        ts = pc.strptime(arr, format=fmt, unit="s", error_is_null=True)
        return pc.cast(ts, pa.int64()).to_numpy(zero_copy_only=False).astype(float) - _SECONDS_1900

    # The common shapes parse at C speed, the best fit for a sample first; the regex sees only the rest.
    present = np.flatnonzero(left)
    sample = strings.take(pa.array(present[:500]))
    ranked = sorted(_CLOCK_FORMATS, key=lambda f: -int(np.isfinite(seconds(sample, f)).sum()))
    for fmt in ranked:
        idx = np.flatnonzero(left)
        if not len(idx):
            break
        secs = seconds(strings if len(idx) == n else strings.take(pa.array(idx)), fmt)
        got = np.isfinite(secs)
        out[idx[got]] = secs[got]
        left[idx[got]] = False
    if left.any():
        idx = np.flatnonzero(left)
        out[idx] = _parse_clock_regex(values.iloc[idx])
    # strptime carries 10:59:60 over to 11:00:00 and 23:59:60 to the next day: impossible, not a time.
    present_clock = ~np.isnan(out)
    if present_clock.any():
        out[_carried_over(strings, np.where(present_clock, 0, np.iinfo(np.int64).min).view("datetime64[ns]"),
                          "%S")] = np.nan
        out[out >= 86400] = np.nan
    return pd.Series(out, index=values.index, dtype="float64")


def _parse_clock_regex(values: pd.Series) -> np.ndarray:
    c = _extract(values, _CLOCK_NAMED, ["h", "mi", "sec", "ampm"])
    h, mi, ampm = c["h"], c["mi"], c["ampm"]
    sec = np.nan_to_num(c["sec"], nan=0.0)
    pm, am = ampm == "PM", ampm == "AM"
    with np.errstate(invalid="ignore"):
        bad = (h > 23) | (mi > 59) | (sec > 59) | ((pm | am) & ((h > 12) | (h == 0)))
        h = np.where(pm & (h < 12), h + 12, h)
        h = np.where(am & (h == 12), 0, h)
        if np.isnan(h).any():
            d = _extract(values, _HHMM_NAMED, ["hh", "mm"])
            use_hhmm = np.isnan(h) & ~np.isnan(d["hh"])
            bad |= use_hhmm & ((d["hh"] > 23) | (d["mm"] > 59))
            h = np.where(use_hhmm, d["hh"], h)
            mi = np.where(use_hhmm, d["mm"], mi)
    seconds = h * 3600 + mi * 60 + sec
    seconds[bad] = np.nan
    return seconds


def parse_datetimes(values: pd.Series, date_order: str = "auto") -> tuple[pd.Series, pd.Series]:
    """Parse date-time text into naive wall-clock times, plus a mask of values carrying a UTC offset.

    The formats that fit a sample are applied to the whole column in the order that fits most (with
    date_order "auto", month-first wins a tie with day-first, as in US exports; a file whose days run
    past 12 is read day-first). Values left over are tried only with the formats of their own shape
    (ISO, m/d/Y, d.m.Y ...). What no format fits stays NaT.
    """
    s = values.astype("string[pyarrow]").str.strip()
    s = s.where(s != "", pd.NA)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    present = s.notna()
    sample = s[present].iloc[:500]
    if sample.str.contains(_OFFSET_RX, regex=True).any():
        has_offset = s.str.contains(_OFFSET_RX, regex=True).fillna(False).astype(bool)
        parsed = pd.to_datetime(s[has_offset], format="ISO8601", errors="coerce", utc=True)
        out[has_offset] = _bounded_ns(parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[us]"))
    else:
        has_offset = pd.Series(False, index=s.index)
    remaining = (present & ~has_offset).to_numpy(dtype=bool, copy=True)
    orders = ["mdy", "dmy", "any"] if date_order in ("auto", "ymd") else [date_order, "any"]

    def apply(formats: list[str], mask: np.ndarray, only_fitting: bool) -> None:
        sub = s[mask].iloc[:500]
        scored = sorted((-int(_parse_format(sub, f).notna().sum()), i, f) for i, f in enumerate(formats))
        for neg, _, fmt in scored:
            if not (mask & remaining).any() or (only_fitting and neg == 0):
                break
            target = mask & remaining
            parsed = _parse_format(s[target], fmt)
            got = parsed.notna().to_numpy()
            if got.any():
                idx = np.flatnonzero(target)[got]
                out.iloc[idx] = parsed[got].astype("datetime64[ns]").to_numpy()
                remaining[idx] = False

    if remaining.any():
        every = [f for _, by_order in _FAMILIES for o in orders for f in by_order.get(o, [])]
        apply(every, remaining.copy(), only_fitting=True)
    for rx, by_order in _FAMILIES:
        if not remaining.any():
            break
        idx = np.flatnonzero(remaining)   # only the leftovers: a regex over a million values costs
        fits = s.iloc[idx].str.contains(rx, regex=True).fillna(False).to_numpy(dtype=bool)
        in_family = np.zeros(len(s), dtype=bool)
        in_family[idx[fits]] = True
        formats = [f for o in orders for f in by_order.get(o, [])]
        if in_family.any() and formats:
            apply(formats, in_family, only_fitting=False)
    return out, has_offset


def localise(naive: pd.Series, has_offset: pd.Series, tz: str | None, notes: list[str], label: str) -> pd.Series:
    """Make wall-clock times tz-aware in the agency zone; offset-bearing values were UTC and are converted."""
    zone = tz or "UTC"
    out = pd.Series(pd.NaT, index=naive.index, dtype=f"datetime64[ns, {zone}]")
    utc_vals = naive[has_offset]
    if len(utc_vals):
        out[has_offset] = utc_vals.dt.tz_localize("UTC").dt.tz_convert(zone)
    local = naive[~has_offset]
    if len(local):
        if tz is None:
            out[~has_offset] = local.dt.tz_localize("UTC")
        else:
            probe = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
            lost = probe.isna() & local.notna()
            if lost.any():
                notes.append(f"{int(lost.sum())} {label} times fall in a daylight-saving change; the repeated "
                             "hour is read as daylight time and the skipped hour moved forward")
                hit = local[lost]
                probe[lost] = hit.dt.tz_localize(tz, ambiguous=np.ones(len(hit), dtype=bool),
                                                 nonexistent="shift_forward")
            out[~has_offset] = probe
    return out


# --------------------------------------------------------------------------------------------- detection
# A time column must hold times in most of its values: numbers of seconds, IDs and durations are not times.
DETECT_SAMPLE_ROWS = 2000
MOST = 0.5
# A date-time column whose time part is midnight this often is a date (the time part is a placeholder).
PLACEHOLDER_MIDNIGHT_SHARE = 0.95
# A column of H:MM values nearly all before 06:00 holds durations, not times of day (with enough values).
CLOCK_LATE_SHARE = 0.25

_NUMBER_RX = r"^\s*[-+]?\d+(?:[.,]\d+)?\s*$"
_DATE_RX = r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}"
_TIMEISH_RX = _DATE_RX + r"|\d{1,2}:\d{2}"
_RECEIVED_RANK = {"received": 4, "generic": 3, "occurred": 2, None: 1}
_ROLE_WORDS = {"received": "a received / created / start time", "generic": "a date or time",
               "occurred": "the time an offence occurred", None: "no step of a call",
               "dispatched": "a dispatch time", "arrived": "an arrival / on-scene time",
               "cleared": "a clear / close / departure time"}


@dataclass
class _Column:
    """What a column holds, from a sample of its rows."""

    name: str
    role: str | None
    present: int = 0
    numeric: float = 0.0
    datetimes: float = 0.0          # share of present values that are date-times
    midnight: float = 0.0           # share of those at exactly midnight
    written_times: float = 0.0      # share of present values with a time written in them ('12:00:00 AM')
    clocks: float = 0.0             # share of present values that are times of day ('22:17')
    late: float = 1.0               # share of the clocks at or after 06:00
    wall: np.ndarray | None = None  # int64 ns of the date-times on the sample rows (NaT = min int64)
    secs: np.ndarray | None = None  # seconds after midnight of the clocks (NaN where none)
    kind: str | None = None         # "datetime", "date", "clock" or None
    why_not: str = ""

    def describe(self) -> str:
        if self.kind in ("datetime", "date"):
            return f"date-times in {self.datetimes:.0%} of rows"
        if self.kind == "clock":
            return f"times of day in {self.clocks + self.datetimes:.0%} of rows"
        return self.why_not or "not times"


@dataclass
class Detection:
    """Columns found in an export, with the reasons (and the runner-up) for each choice."""

    columns: dict[str, str | list[str]]
    choices: list[ColumnChoice]
    ignored: list[tuple[str, str]]          # columns named like times that hold no times, and why
    agencies: dict[str, int]                # rows per value of the agency column (empty without one)


def _profile_columns(frame: pd.DataFrame, date_order: str) -> dict[str, _Column]:
    """Profile every column on the same evenly spaced sample of rows (a few thousand, whatever the size)."""
    n = len(frame)
    rows = np.unique(np.linspace(0, n - 1, min(n, DETECT_SAMPLE_ROWS)).astype(np.int64)) if n else np.array([], int)
    sample = frame.iloc[rows]
    out: dict[str, _Column] = {}
    for name in frame.columns:
        col = _Column(name=name, role=time_role(name))
        out[name] = col
        s = sample[name].astype("string[pyarrow]").str.strip()
        s = s.where(s != "", pd.NA)
        present = s.notna().to_numpy(dtype=bool)
        col.present = int(present.sum())
        if not col.present:
            col.why_not = "blank in every sampled row"
            continue
        col.numeric = float(s.str.contains(_NUMBER_RX, regex=True).fillna(False).to_numpy(dtype=bool).sum()
                            / col.present)
        col.written_times = float(s.str.contains(":", regex=False).fillna(False).to_numpy(dtype=bool).sum()
                                  / col.present)
        if col.numeric >= MOST:
            col.why_not = f"numbers in {col.numeric:.0%} of rows (seconds, durations or IDs), not times"
            continue
        timeish = s.str.contains(_TIMEISH_RX, regex=True).fillna(False).to_numpy(dtype=bool)
        if timeish.sum() < MOST * col.present:
            col.why_not = f"dates or times in only {timeish.sum() / col.present:.0%} of rows"
            continue
        if s.str.contains(_DATE_RX, regex=True).fillna(False).to_numpy(dtype=bool).any():
            naive, _off = parse_datetimes(s, date_order)
        else:   # times of day only ('22:17'): no date formats to try
            naive = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
        wall = naive.to_numpy(dtype="datetime64[ns]").view("int64")
        got = ~np.isnat(naive.to_numpy(dtype="datetime64[ns]"))
        col.wall = np.where(got, wall, np.iinfo(np.int64).min)
        col.datetimes = float(got.sum() / col.present)
        if got.any():
            col.midnight = float((np.mod(wall[got], _DAY_NS) == 0).mean())
        rest = s.where(~pd.Series(got, index=s.index) & s.str.contains(":", regex=False).fillna(False))
        secs = parse_clock(rest).to_numpy()
        is_clock = ~np.isnan(secs)
        col.secs = secs
        col.clocks = float(is_clock.sum() / col.present)
        if is_clock.any():
            col.late = float((secs[is_clock] >= 6 * 3600).mean())
        if col.datetimes >= MOST:
            col.kind = "date" if col.midnight >= PLACEHOLDER_MIDNIGHT_SHARE else "datetime"
        elif col.datetimes + col.clocks >= MOST and col.clocks > 0:
            if is_clock.sum() >= 20 and col.late < CLOCK_LATE_SHARE:
                col.why_not = (f"H:MM values nearly all before 06:00 ({1 - col.late:.0%}): durations, "
                               "not times of day")
            else:
                col.kind = "clock"
        else:
            col.why_not = f"date-times in only {col.datetimes + col.clocks:.0%} of rows"
    return out


def _earlier_share(a: np.ndarray, b: np.ndarray) -> float:
    """Share of rows with both times known where a is at or before b."""
    nat = np.iinfo(np.int64).min
    both = (a != nat) & (b != nat)
    return float((a[both] <= b[both]).mean()) if both.any() else 0.5


@dataclass
class _Candidate:
    label: str                      # column name, or "Date + Time" for a split time
    columns: tuple[str, ...]
    rank: int
    wall: np.ndarray
    why: str
    full: bool = True               # one date-time column (not a date and a time of day)


def _received_candidates(cols: dict[str, _Column]) -> list[_Candidate]:
    out = []
    for c in cols.values():
        if c.role is None and is_field_name(c.name):
            continue   # a column named like another field ('Type', 'Incident') is that field, whatever it holds
        if c.kind == "datetime" and c.role in _RECEIVED_RANK:
            out.append(_Candidate(c.name, (c.name,), _RECEIVED_RANK[c.role], c.wall,
                                  f"{c.describe()}; named like {_ROLE_WORDS[c.role]}"))
    dates = [c for c in cols.values() if c.kind == "date" and c.role in _RECEIVED_RANK]
    clocks = [c for c in cols.values() if c.kind == "clock" and c.role in ("received", "generic", None)]
    for d in dates:
        mates = [k for k in clocks if time_stem(k.name) == time_stem(d.name)]
        if not mates and len(dates) == 1 and len(clocks) == 1:
            mates = clocks
        for k in mates[:1]:
            day = d.wall - np.mod(d.wall, _DAY_NS)
            wall = np.where((d.wall != np.iinfo(np.int64).min) & ~np.isnan(k.secs),
                            day + np.nan_to_num(k.secs * 1e9).astype(np.int64), np.iinfo(np.int64).min)
            placeholder = ("its time part is always midnight, a placeholder" if d.written_times >= MOST else
                           "no time of day")
            rank = max(_RECEIVED_RANK[d.role], _RECEIVED_RANK.get(k.role, 1))
            out.append(_Candidate(f"{d.name} + {k.name}", (d.name, k.name), rank, wall,
                                  f"'{d.name}' holds dates ({placeholder}) and '{k.name}' the time of day "
                                  f"({k.describe()}); read as one", full=False))
    return out


def _choose_received(cols: dict[str, _Column]) -> tuple[_Candidate | None, ColumnChoice | None]:
    cands = _received_candidates(cols)
    if not cands:
        return None, None
    best_rank = max(c.rank for c in cands)
    top = [c for c in cands if c.rank == best_rank]
    # In a chain of timestamps the call came in at the earliest step.
    score = {}
    for c in top:
        others = [o for o in top if o is not c and o.columns != c.columns]
        score[c.label] = np.mean([_earlier_share(c.wall, o.wall) for o in others]) if others else 1.0
    known = {c.label: int((c.wall != np.iinfo(np.int64).min).sum()) for c in cands}
    order = sorted(cands, key=lambda c: (-c.rank, -score.get(c.label, 0), -known[c.label], not c.full))
    chosen = order[0]
    why = chosen.why
    runner = order[1] if len(order) > 1 else None
    runner_why = None
    if runner is not None:
        if runner.rank == chosen.rank:
            first = _earlier_share(chosen.wall, runner.wall)
            later = 1 - _earlier_share(runner.wall, chosen.wall)
            why += f"; the earliest step of the chain (at or before '{runner.label}' in {first:.0%} of rows)"
            runner_why = (f"{runner.why}; later than '{chosen.label}' in {later:.0%} of rows" if later > 0 else
                          f"{runner.why}; never earlier than '{chosen.label}'")
        else:
            runner_why = f"{runner.why}; less like the time a call came in"
    return chosen, ColumnChoice("received_at", chosen.label, why, runner.label if runner else None, runner_why)


def _choose_step(cols: dict[str, _Column], step: str, used: set[str]) -> ColumnChoice | None:
    cands = [c for c in cols.values() if c.role == step and c.kind in ("datetime", "clock") and c.name not in used]
    if not cands:
        return None

    def wall(c: _Column) -> np.ndarray:
        if c.kind == "datetime" and c.wall is not None:
            return c.wall
        return np.where(np.isnan(c.secs), np.iinfo(np.int64).min, np.nan_to_num(c.secs * 1e9).astype(np.int64))

    def key(c: _Column) -> tuple:
        words = 1 if step == "cleared" and is_clear_word(c.name) else 0
        earliest = np.mean([_earlier_share(wall(c), wall(o)) for o in cands if o is not c]) if len(cands) > 1 else 1
        return (-words, c.kind != "datetime", -earliest, -c.present)

    order = sorted(cands, key=key)
    chosen = order[0]
    why = f"{chosen.describe()}; named like {_ROLE_WORDS[step]}"
    runner = order[1] if len(order) > 1 else None
    runner_why = None
    if runner is not None:
        runner_why = f"{runner.describe()}; named like {_ROLE_WORDS[step]}"
        if step == "cleared" and is_clear_word(chosen.name) and not is_clear_word(runner.name):
            runner_why += " (the incident closed, which can be long after the units cleared)"
        else:
            runner_why += f"; later than '{chosen.name}' or a time of day only"
    return ColumnChoice(f"{step}_at", chosen.name, why,
                        runner.name if runner else None, runner_why)


def agency_discipline(value: str) -> str | None:
    """police, sheriff, fire or ems for a value of an agency column ('APD', 'Fire', 'EMS', 'SO'), else None."""
    squash = re.sub(r"[^A-Z0-9]", "", str(value).upper())
    if not squash:
        return None
    if "SHERIF" in squash or squash in ("SO", "SHERIFFSOFFICE") or re.fullmatch(r"[A-Z]{1,4}SO", squash):
        return "sheriff"
    if "POLICE" in squash or squash in ("P", "PD", "POL", "LAW", "LE", "LAWENFORCEMENT") or \
            re.fullmatch(r"[A-Z]{1,4}PD", squash):
        return "police"
    if "FIRE" in squash or squash in ("F", "FD") or re.fullmatch(r"[A-Z]{1,4}FD", squash):
        return "fire"
    if squash in ("E", "M", "EMS", "MED", "MEDICAL", "AMB") or "EMS" in squash or "MEDIC" in squash or \
            "AMBULANCE" in squash:
        return "ems"
    return None


def _agency_counts(values: pd.Series) -> dict[str, int]:
    v = values.astype("string").str.strip().fillna("")
    return {str(k): int(c) for k, c in v.value_counts().items()}


def _is_agency_column(values: pd.Series) -> bool:
    counts = _agency_counts(values)
    named = [k for k in counts if k]
    return 0 < len(named) <= 50 and any(agency_discipline(k) for k in named)


def default_agencies(counts: dict[str, int]) -> tuple[str, ...]:
    """The agency values whose calls are kept unless the mapping says otherwise: the police ones; where
    there are none, the sheriff's; where neither is recognised, all of them."""
    named = [k for k in counts if k]
    for discipline in ("police", "sheriff"):
        kept = tuple(k for k in named if agency_discipline(k) == discipline)
        if kept:
            return kept
    return tuple(named)


def detect(frame: pd.DataFrame, date_order: str = "auto") -> Detection:
    """Find the columns of an export from what they hold as well as what they are called.

    A time column must parse as date-times (or times of day) in most sampled rows; of several received-time
    candidates the earliest step of the chain wins; a date column whose time part is a placeholder is read
    with a separate time-of-day column. Other fields are found by name, with a check of their content.
    """
    headers = list(frame.columns)
    cols = _profile_columns(frame, date_order)
    found: dict[str, str | list[str]] = {}
    choices: list[ColumnChoice] = []
    received, choice = _choose_received(cols)
    used: set[str] = set()
    if received is not None:
        if received.full:
            found["received_at"] = received.columns[0]
        else:
            found["received_date"], found["received_time"] = received.columns
        used.update(received.columns)
        choices.append(choice)
    else:
        # Nothing holds date-times: fall back on a column named like a received time (its rows will be
        # rejected with the reason), so the user sees which column was tried, not a guess at another.
        named = [c for c in cols.values() if c.role in ("received", "generic") and c.kind in (None, "clock")]
        dates = [c for c in cols.values() if c.kind == "date" and c.role in _RECEIVED_RANK]
        if dates:
            d = max(dates, key=lambda c: _RECEIVED_RANK[c.role])
            found["received_at"] = d.name
            used.add(d.name)
            choices.append(ColumnChoice("received_at", d.name, f"{d.describe()}, but no time of day anywhere: "
                                        "every call is placed at midnight"))
        elif named:
            c = max(named, key=lambda c: _RECEIVED_RANK[c.role])
            found["received_at"] = c.name
            used.add(c.name)
            choices.append(ColumnChoice("received_at", c.name, f"named like {_ROLE_WORDS[c.role]}, though it "
                                        f"holds {c.describe()}"))
    for step in ("dispatched", "arrived", "cleared"):
        ch = _choose_step(cols, step, used)
        if ch is not None:
            found[ch.field] = ch.column
            used.add(ch.column)
            choices.append(ch)
    ignored = [(c.name, c.why_not) for c in cols.values()
               if c.role is not None and c.kind is None and c.name not in used and c.why_not]
    # Other fields by name, among the columns that are not times.
    rest = [h for h in headers if h not in used]
    by_name = detect_columns(rest)
    several = call_type_columns(rest)
    for f, col in by_name.items():
        if f in TIME_FIELDS:
            continue
        if f == "agency" and not _is_agency_column(frame[col]):
            continue
        found[f] = col
        if f == "call_type" and several:
            why = ("several call-type columns: the first non-blank decides" if "final" not in
                   str(col[0]).lower() else "final and initial call types: the final one decides, the initial "
                   "one where the final is blank")
        else:
            why = "named like " + f.replace("_", " ")
        choices.append(ColumnChoice(f, ", ".join(column_names(col)), why))
    agencies = _agency_counts(frame[found["agency"]]) if "agency" in found else {}
    return Detection(columns=found, choices=choices, ignored=ignored, agencies=agencies)


# ---------------------------------------------------------------------------------------------- import
def columns_words(raw: RawTable) -> str:
    """'the file has [columns]' when the file read as a table; else why not, without quoting the file (the
    first line of any text file is not a header, and may be something private)."""
    if raw.is_table:
        return f"the file has {list(raw.frame.columns)}"
    n = raw.frame.shape[1]
    return (f"the file does not read as a table of columns (its first line splits into {n} "
            f"field{'s' if n != 1 else ''}{', and most rows into another number' if n > 1 else ''})")


def resolve_mapping(raw: RawTable, mapping: Mapping | None,
                    detection: Detection | None = None) -> tuple[Mapping, dict[str, str | list[str]], Detection]:
    """Detected columns with the mapping file's columns on top; a named column must exist."""
    headers = list(raw.frame.columns)
    m = mapping or Mapping()
    det = detection or detect(raw.frame, m.date_order)
    for fieldname, value in m.columns.items():
        for col in column_names(value):
            if col not in headers:
                where = f"{m.source}: " if m.source else ""
                raise ImportFailed(f"{where}columns.{fieldname} = {col!r}: no such column; {columns_words(raw)}")
    cols = dict(det.columns)
    # An explicit split date/time replaces a detected datetime, and vice versa.
    if "received_at" in m.columns:
        cols.pop("received_date", None)
        cols.pop("received_time", None)
    if "received_date" in m.columns:
        cols.pop("received_at", None)
    # A column the user named for one field is not also used by detection for another.
    chosen = {c for v in m.columns.values() for c in column_names(v)}
    cols = {f: v for f, v in cols.items() if not set(column_names(v)) & chosen}
    cols.update(m.columns)
    return replace(m, columns=cols), dict(det.columns), det


def column_choices(m: Mapping, det: Detection) -> list[ColumnChoice]:
    """Why each mapped column is used: the mapping named it, or detection found it (with the runner-up)."""
    by_field = {c.field: c for c in det.choices}
    received = by_field.get("received_at")
    out = []
    for f, v in m.columns.items():
        label = ", ".join(column_names(v))
        if f in ("received_date", "received_time"):
            if f == "received_time":
                continue
            label = f"{v} + {m.columns.get('received_time', '?')}"
            f = "received_at"
        detected = by_field.get(f)
        if f == "received_at" and received is not None and received.column == label:
            out.append(received)
        elif detected is not None and detected.column == label:
            out.append(detected)
        else:
            out.append(ColumnChoice(f, label, "named in the mapping"))
    return out


def read_code_table(path: Path) -> dict[str, str]:
    """A code table: first column the code, second the description (a header row is recognised)."""
    raw = read_raw(path, what="code table")
    f = raw.frame
    if f.shape[1] < 2:
        raise ImportFailed(f"{path}: a code table needs two columns (code, description); found {f.shape[1]}")
    codes = f.iloc[:, 0].astype("string").str.strip()
    desc = f.iloc[:, 1].astype("string").str.strip()
    keep = codes.notna() & desc.notna()
    return dict(zip(codes[keep].tolist(), desc[keep].tolist(), strict=True))


IMPOSSIBLE_DATE = "impossible date"
IMPOSSIBLE_TIME = "impossible time"
OUTSIDE_PERIOD = "outside the export's period"
# No calls-for-service export reaches back before this: CAD systems kept such records from the 1990s on.
EARLIEST_CALL = np.datetime64("1990-01-01", "ns")
# A group of rows this far (in days) from every other row, and this small a share of the largest group,
# is outside the export's period: a year typed wrong, not a period the export covers.
ISOLATED_GAP_DAYS = 365
ISOLATED_SHARE = 0.05

_DATE_TIME_PARTS = (r"^\s*(?P<a>\d{1,4})[-/.](?P<b>\d{1,2})[-/.](?P<c>\d{1,4})"
                    r"(?:[T ]+(?P<h>\d{1,2}):(?P<mi>\d{1,2})(?::(?P<s>\d{1,2}))?)?")
_CLOCK_PARTS = r"^\s*(?P<h>\d{1,2}):(?P<mi>\d{1,2})(?::(?P<s>\d{1,2}))?"
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _valid_day(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        ok_m = (m >= 1) & (m <= 12)
        mi = np.where(ok_m, np.nan_to_num(m), 1).astype(np.int64) - 1
        leap = (np.nan_to_num(y) % 4 == 0) & ((np.nan_to_num(y) % 100 != 0) | (np.nan_to_num(y) % 400 == 0))
        last = _DAYS_IN_MONTH[mi] + ((mi == 1) & leap)
        return ok_m & (d >= 1) & (d <= last)


def _unreadable_reasons(texts: pd.Series) -> np.ndarray:
    """For date-times that did not parse: IMPOSSIBLE_DATE when the numbers make no date in any order
    (02/31/2025, 2025-13-01), IMPOSSIBLE_TIME when the date is fine but the time is not (24:10, 10:61),
    else None (not a date-time at all)."""
    out = np.full(len(texts), None, dtype=object)
    if not len(texts):
        return out
    p = _extract(texts, _DATE_TIME_PARTS, ["a", "b", "c", "h", "mi", "s"])
    a, b, c = p["a"], p["b"], p["c"]
    has_date = ~np.isnan(a)
    with np.errstate(invalid="ignore"):
        year_first = a >= 1000
        y = np.where(year_first, a, np.where(c < 100, c + 2000, c))
        ok = np.where(year_first, _valid_day(a, b, c), _valid_day(y, a, b) | _valid_day(y, b, a))
        bad_time = (p["h"] > 23) | (p["mi"] > 59) | (p["s"] > 59)
    clock = _extract(texts, _CLOCK_PARTS, ["h", "mi", "s"])
    with np.errstate(invalid="ignore"):
        bad_clock = ~has_date & ((clock["h"] > 23) | (clock["mi"] > 59) | (clock["s"] > 59))
    out[has_date & ~ok] = IMPOSSIBLE_DATE
    out[(has_date & ok & bad_time) | bad_clock] = IMPOSSIBLE_TIME
    return out


def _outside_period(wall: np.ndarray, valid: np.ndarray, tz: str | None) -> tuple[np.ndarray, dict[str, int]]:
    """Rows (int64 wall-clock ns) outside the export's own period: before EARLIEST_CALL, after the day the
    file is read (in the agency's zone; with none, the latest date anywhere), or in a small group at least
    ISOLATED_GAP_DAYS from the rest. Returns the mask and the count of each kind."""
    now = pd.Timestamp.now(tz=tz or "Etc/GMT-14")
    end_of_today = (now.normalize() + pd.Timedelta(days=1)).tz_localize(None).value
    early = valid & (wall < EARLIEST_CALL.astype(np.int64))
    late = valid & (wall >= end_of_today)
    rest = valid & ~early & ~late
    isolated = np.zeros(len(wall), dtype=bool)
    gap = ISOLATED_GAP_DAYS * _DAY_NS
    if rest.any():
        v = wall[rest]
        if int(v.max()) - int(v.min()) > gap:    # only then can there be a gap: a one-year export costs no sort
            s = np.sort(v)
            breaks = np.flatnonzero(np.diff(s) > gap)
            if len(breaks):
                starts, ends = np.r_[0, breaks + 1], np.r_[breaks, len(s) - 1]
                sizes = ends - starts + 1
                main = len(sizes) - 1 - int(np.argmax(sizes[::-1]))     # the largest group; the latest of equals
                for i in range(len(sizes)):
                    small = sizes[i] <= ISOLATED_SHARE * sizes[main] or (sizes[i] == 1 < sizes[main])
                    if i != main and small:
                        isolated |= rest & (wall >= s[starts[i]]) & (wall <= s[ends[i]])
    counts = {"before 1990": int(early.sum()), "after the day the file was read": int(late.sum()),
              f"more than {ISOLATED_GAP_DAYS} days from the other calls": int(isolated.sum())}
    return early | late | isolated, counts


def import_calls(path: str | Path, mapping: Mapping | None = None, *, codes: str | Path | None = None,
                 tz: str | None = None, taxonomy: Taxonomy | None = None,
                 progress: Callable[[str], None] | None = None) -> ImportResult:
    """Read an export and return the canonical call table, the rejects and notes on what was done."""
    path = Path(path)
    say = progress or (lambda _msg: None)
    m0 = mapping or Mapping()
    say("reading file")
    raw = read_raw(path, m0.sheet)
    m, detected, detection = resolve_mapping(raw, mapping)
    tz = tz or m.timezone
    if tz:
        from planner.mapping import check_timezone

        check_timezone(tz, "time zone")
    cols = m.columns
    if "received_at" not in cols and not ("received_date" in cols and "received_time" in cols):
        raise ImportFailed(f"{path}: no usable time column (looked for a column of date-times named like a "
                           f"received, created or start time); {columns_words(raw)}. Name it in a mapping "
                           "file: [columns] received_at = \"...\"")
    if "call_type" not in cols:
        raise ImportFailed(f"{path}: no call type column (looked for call type, nature, problem); "
                           f"{columns_words(raw)}. Name it in a mapping file: [columns] call_type = \"...\"")
    notes: list[str] = []
    choices = column_choices(m, detection)

    # Several agencies in one file: keep the chosen ones, count the others as set aside (never rejected).
    agencies: dict[str, int] = {}
    set_aside: dict[str, int] = {}
    if "agency" in cols:
        raw, m, agencies, set_aside = _filter_agencies(raw, m, notes)

    f = raw.frame
    n = len(f)
    reject_reason = np.full(n, None, dtype=object)
    reject_col = np.full(n, "", dtype=object)
    reject_val = np.full(n, "", dtype=object)

    def reject(mask: pd.Series | np.ndarray, column: str, values: pd.Series | None, reason: str) -> None:
        mask = np.asarray(mask, dtype=bool) & pd.isna(reject_reason)
        if not mask.any():
            return
        reject_reason[mask] = reason
        reject_col[mask] = column
        if values is not None:   # only the rejected rows' text: converting a whole column costs
            reject_val[mask] = values.iloc[np.flatnonzero(mask)].astype("string").fillna("").to_numpy(dtype=object)

    say("parsing times")
    # Received time. Only rows that did not parse are looked at again, for the reason (a million text
    # comparisons for the rows that did would cost as much as the parse).
    def blank_at(values: pd.Series, idx: np.ndarray) -> np.ndarray:
        sub = values.iloc[idx]
        return (sub.isna() | (sub.astype("string").str.strip() == "")).to_numpy(dtype=bool)

    if "received_at" in cols:
        rtext = f[cols["received_at"]]
        naive, off = parse_datetimes(rtext, m.date_order)
        rcol = cols["received_at"]
    else:
        dtext, ttext = f[cols["received_date"]], f[cols["received_time"]]
        day, off = parse_datetimes(dtext, m.date_order)
        clock = parse_clock(ttext)
        naive = day.dt.normalize() + pd.to_timedelta(clock, unit="s")
        rcol = f"{cols['received_date']} + {cols['received_time']}"
        rtext = pd.Series(pd.NA, index=f.index, dtype="string")
        idx = np.flatnonzero(naive.isna().to_numpy())
        if len(idx):
            rtext.iloc[idx] = (dtext.iloc[idx].astype("string").fillna("") + " " +
                               ttext.iloc[idx].astype("string").fillna("")).str.strip()
            day_ok = day.iloc[idx].notna().to_numpy()
            t_blank = np.zeros(n, dtype=bool)
            t_blank[idx[day_ok & blank_at(ttext, idx)]] = True
            reject(t_blank, cols["received_time"], ttext, "missing received time")
            t_bad = np.zeros(n, dtype=bool)
            t_bad[idx[day_ok]] = True
            t_impossible = np.zeros(n, dtype=bool)
            t_impossible[idx] = _unreadable_reasons(ttext.iloc[idx]) == IMPOSSIBLE_TIME
            reject(t_bad & t_impossible, cols["received_time"], ttext, IMPOSSIBLE_TIME)
            reject(t_bad, cols["received_time"], ttext, "unreadable time")
    failed = np.flatnonzero(naive.isna().to_numpy())
    if len(failed):
        blank_r = np.zeros(n, dtype=bool)
        blank_r[failed[blank_at(rtext, failed)]] = True
        reject(blank_r, rcol, rtext, "missing received time")
        # Impossible dates and times (31 February, 24:10) say so; what is not a date at all is unreadable.
        left = failed[pd.isna(reject_reason[failed])]
        if len(left):
            why = _unreadable_reasons(rtext.iloc[left])
            for reason in (IMPOSSIBLE_DATE, IMPOSSIBLE_TIME):
                mask = np.zeros(n, dtype=bool)
                mask[left[why == reason]] = True
                reject(mask, rcol, rtext, reason)
        reject(naive.isna(), rcol, rtext, "unreadable date/time")

    say("checking the period")
    # A row far outside the export's own period is a typing error, and would stretch the period (and so
    # divide every rate) by years: it is rejected, whatever else it holds.
    wall = naive.to_numpy(dtype="datetime64[ns]").view("int64")
    outside, outside_counts = _outside_period(wall, naive.notna().to_numpy() & pd.isna(reject_reason), tz)
    if outside.any():
        if "received_at" not in cols:
            rtext = (dtext.astype("string").fillna("") + " " + ttext.astype("string").fillna("")).str.strip()
        reject(outside, rcol, rtext, OUTSIDE_PERIOD)
        notes.append(f"{int(outside.sum())} rows are outside the export's period and rejected: "
                     + ", ".join(f"{v} {k}" for k, v in outside_counts.items() if v))

    # Call type: of several columns, the first non-blank one decides (final before initial).
    type_cols = m.column_list("call_type")
    ctype = None
    for c in type_cols:
        v = f[c].astype("string").str.strip()
        v = v.where(v != "", pd.NA)
        ctype = v if ctype is None else ctype.fillna(v)
    reject(ctype.isna(), " / ".join(type_cols), f[type_cols[0]], "missing call type")

    # Incident number.
    if "call_id" in cols:
        cid = f[cols["call_id"]].astype("string").str.strip()
        cid = cid.where(cid != "", pd.NA)
        reject(cid.isna(), cols["call_id"], f[cols["call_id"]], "missing incident number")
    else:
        cid = pd.Series(raw.source_row.astype(str), index=f.index, dtype="string")
        notes.append("no incident-number column: each row is taken as one call")

    keep = pd.isna(reject_reason)
    rejects_df = _rejects_frame(raw, reject_reason, reject_col, reject_val)
    if not keep.any():
        top = rejects_df["reason"].value_counts()
        why = f"; most common reason: {top.index[0]} ({int(top.iloc[0])} rows)" if len(top) else ""
        detected_words = f" (detected: {m.columns})" if raw.is_table else f"; {columns_words(raw)}"
        raise ImportFailed(f"{path}: none of the {raw.rows_read} rows could be imported{why}. "
                           f"Check the column mapping{detected_words}")

    say("normalising")
    k = f.loc[keep, list(dict.fromkeys(c for v in cols.values() for c in column_names(v)))]  # mapped columns only
    calls = pd.DataFrame({
        "call_id": cid[keep].astype("string"),
        "source_row": raw.source_row[keep],
    })
    calls.index = k.index
    received = localise(naive[keep], off[keep], tz, notes, "received")
    calls["received_at"] = received
    ctype_k = ctype[keep]

    say("applying the code table")
    # Code table: agency codes -> descriptions.
    code_path = Path(codes) if codes else m.codes_path()
    if code_path is not None:
        table = read_code_table(code_path)
        calls["call_type_code"] = ctype_k
        # Look up each distinct code once, then spread the descriptions back over the rows.
        codes_k, uniques = pd.factorize(ctype_k)
        looked_up = np.array([table.get(u) for u in uniques] + [None], dtype=object)
        desc = pd.Series(looked_up[codes_k], index=ctype_k.index, dtype="string")
        unknown = desc.isna()
        if unknown.any():
            top = ctype_k[unknown].value_counts().head(5)
            notes.append(f"{int(unknown.sum())} calls have codes not in the code table {code_path.name} "
                         f"(e.g. {', '.join(f'{c} ({v})' for c, v in top.items())}); the code is kept as the type")
        calls["call_type"] = desc.fillna(ctype_k).astype("string")
    else:
        calls["call_type"] = ctype_k
    if "description" in cols:
        d = k[cols["description"]].astype("string").str.strip()
        calls["description"] = d.where(d != "", pd.NA)

    say("reading priorities")
    if "priority" in cols:
        ptext = k[cols["priority"]].astype("string").str.strip()
        num = pd.Series(_extract(ptext, r"(?P<n>\d+)", ["n"])["n"], index=ptext.index)
        # A priority is a small rank; a number too large for one (an ID in the wrong column) is not a priority.
        num = num.where(num <= 1_000_000)
        bad = num.isna() & ptext.notna() & (ptext != "")
        if bad.any():
            notes.append(f"{int(bad.sum())} priorities are not numbers (e.g. {ptext[bad].iloc[0]!r}) and are "
                         "treated as missing")
        calls["priority"] = num.astype("Int64")
    else:
        calls["priority"] = pd.array([pd.NA] * len(calls), dtype="Int64")

    say("checking dispatch, arrival and clear times")
    # Secondary times: each must come after the one before it, and be believable.
    steps = [(f, lbl) for f, lbl in (("dispatched_at", "dispatch"), ("arrived_at", "arrival"),
                                     ("cleared_at", "clear")) if f in cols]
    for fieldname in ("dispatched_at", "arrived_at", "cleared_at"):
        calls[fieldname] = pd.Series(pd.NaT, index=calls.index, dtype=received.dtype)
    if steps:
        aware = _secondary_times([k[cols[f]] for f, _ in steps], [lbl for _, lbl in steps], naive[keep],
                                 received, tz, m.date_order, notes)
        for (fieldname, _), values in zip(steps, aware, strict=True):
            calls[fieldname] = values

    for fieldname in ("district", "disposition", "unit_id"):
        if fieldname in cols:
            v = k[cols[fieldname]].astype("string").str.strip()
            calls[fieldname] = v.where(v != "", pd.NA)
    if "units" in cols:
        calls["units"] = pd.to_numeric(k[cols["units"]], errors="coerce").fillna(1).clip(lower=1).astype("int64")
    else:
        calls["units"] = np.ones(len(calls), dtype=np.int64)

    say("computing busy time")
    # Busy time per row, before rows of one incident are folded together.
    busy = (calls["cleared_at"] - calls["dispatched_at"]).dt.total_seconds() / 60
    calls["busy_minutes"] = busy * (calls["units"] if "units" in cols else 1)

    say("merging units of one incident")
    calls, merged = _merge_units(calls, "units" in cols)
    if merged:
        notes.append(f"{merged} rows are further units of an incident already in the file; "
                     "they are counted as units of that call")

    calls["travel_minutes"] = (calls["arrived_at"] - calls["dispatched_at"]).dt.total_seconds() / 60
    calls["on_scene_minutes"] = (calls["cleared_at"] - calls["arrived_at"]).dt.total_seconds() / 60

    say("categorising")
    tax = taxonomy or default_taxonomy()
    if m.rules:
        tax = tax.with_user_rules(m.rules)
    calls["category"] = tax.categorise(calls["call_type"], calls.get("description"))
    if "disposition" in calls:
        calls["outcome_hint"] = outcome_hints(calls["disposition"])
    # Most exports are already in time order; sorting a million rows of text is then work for nothing.
    if not calls["received_at"].is_monotonic_increasing:
        calls = calls.sort_values(["received_at", "source_row"], kind="stable")
    calls = calls.reset_index(drop=True)
    result = ImportResult(calls=calls, rejects=rejects_df, rows_read=raw.rows_read, rows_merged=merged, mapping=m,
                          detected=detected, notes=notes, source=path, timezone=tz, set_aside=set_aside,
                          agencies=agencies, column_choices=choices, not_times=dict(detection.ignored))
    result.check_accounting()
    return result


def _filter_agencies(raw: RawTable, m: Mapping, notes: list[str]) -> tuple[RawTable, Mapping, dict[str, int],
                                                                            dict[str, int]]:
    """Keep the rows of the agencies the mapping names (by default the police); set the others aside.

    Returns the table of kept rows, the mapping with the agencies kept (so saving it saves the choice), the
    rows per agency value, and the rows set aside per agency value. Blank agency values are kept when every
    other row is kept, and set aside (as '(blank)') when some agencies are filtered out.
    """
    col = m.columns["agency"]
    values = raw.frame[col].astype("string").str.strip().fillna("")
    counts = _agency_counts(values)
    named = [k for k in counts if k]
    if m.agencies is not None:
        wanted = {a.strip().upper() for a in m.agencies}
        kept = tuple(k for k in named if k.upper() in wanted)
        missing = sorted(a for a in m.agencies if a.strip().upper() not in {k.upper() for k in named})
        if missing:
            notes.append(f"options.agencies names {missing}, not in the agency column '{col}' "
                         f"(it holds {named[:10]})")
    else:
        kept = default_agencies(counts)
        if named and set(kept) == set(named) and not any(agency_discipline(k) == "police" for k in named):
            notes.append(f"the agency column '{col}' has no police or sheriff values; all rows are kept "
                         "(name the agencies to keep in options.agencies)")
    upper_kept = {k.upper() for k in kept}
    keep = values.str.upper().isin(upper_kept).to_numpy(dtype=bool, copy=True)
    filtering = bool((~keep & (values != "").to_numpy(dtype=bool)).any())
    if not filtering:
        keep = np.ones(len(values), dtype=bool)
    m = replace(m, agencies=tuple(kept))
    if keep.all():
        return raw, m, counts, {}
    aside_values = values[~keep].replace("", "(blank)")
    set_aside = {str(k): int(v) for k, v in aside_values.value_counts().items()}
    notes.append(f"{int((~keep).sum()):,} rows of other agencies are set aside by the agency filter "
                 f"({', '.join(f'{k} {v:,}' for k, v in set_aside.items())}); kept: {', '.join(kept) or 'none'}. "
                 "Change it with options.agencies in a mapping file")
    frame = raw.frame[keep].reset_index(drop=True)
    return replace(raw, frame=frame, source_row=raw.source_row[keep]), m, counts, set_aside


def _rejects_frame(raw: RawTable, reason: np.ndarray, col: np.ndarray, val: np.ndarray) -> pd.DataFrame:
    mask = ~pd.isna(reason)
    rows = list(raw.rejects) + list(zip(raw.source_row[mask].tolist(), col[mask].tolist(),
                                        val[mask].tolist(), reason[mask].tolist(), strict=True))
    df = pd.DataFrame(rows, columns=REJECT_COLUMNS)
    df["source_row"] = df["source_row"].astype("int64")
    return df.sort_values("source_row", kind="stable").reset_index(drop=True)


_DAY_NS = 86_400 * 10**9
_HOUR_NS = 3_600 * 10**9


def _secondary_times(texts: list[pd.Series], labels: list[str], local_received: pd.Series,
                     received: pd.Series, tz: str | None, date_order: str, notes: list[str]) -> list[pd.Series]:
    """Dispatch/arrival/clear times: placeholders and impossible values become missing, with a note.

    The rules work on wall-clock nanoseconds (int64) so a million rows cost a few array passes:
    time-only values take the call's date and roll past midnight when the result lies within
    NEXT_DAY_WINDOW_HOURS after the call; midnight exactly is a placeholder unless the call came in
    shortly before midnight and no later step is earlier; a time before the step it follows, or more
    than MAX_PLAUSIBLE_HOURS after the call, is missing.
    """
    local = local_received.to_numpy(dtype="datetime64[ns]").view("int64")
    day = local - np.mod(local, _DAY_NS)
    received_clock_h = (local - day) / _HOUR_NS
    parsed = []
    for text in texts:
        s = text.astype("string[pyarrow]").str.strip()
        s = s.where(s != "", pd.NA)
        present = s.notna().to_numpy(dtype=bool)
        clock = parse_clock(s).to_numpy()
        is_clock = ~np.isnan(clock)
        wall = np.zeros(len(s), dtype=np.int64)
        off = np.zeros(len(s), dtype=bool)
        has = is_clock.copy()
        if (present & ~is_clock).any():
            naive, off_s = parse_datetimes(s.where(~pd.Series(is_clock, index=s.index)), date_order)
            got = naive.notna().to_numpy()
            wall[got] = naive.to_numpy(dtype="datetime64[ns]").view("int64")[got]
            has |= got
            off = off_s.to_numpy(dtype=bool)
        from_clock = day + np.nan_to_num(clock * 1e9).astype(np.int64)
        roll = is_clock & (from_clock < local) & ((from_clock + _DAY_NS - local) <= NEXT_DAY_WINDOW_HOURS * _HOUR_NS)
        wall = np.where(is_clock, np.where(roll, from_clock + _DAY_NS, from_clock), wall)
        unreadable = present & ~has
        midnight = has & (np.mod(wall, _DAY_NS) == 0)
        parsed.append([wall, has, off, unreadable, midnight])
    placeholders = []
    for i, (wall, has, _off, _unreadable, midnight) in enumerate(parsed):
        believable = midnight & (received_clock_h >= 24 - MIDNIGHT_BELIEVED_WITHIN_HOURS)
        for later_wall, later_has, _, _, later_midnight in parsed[i + 1:]:
            believable &= ~(later_has & ~later_midnight & (later_wall < wall))
        placeholder = midnight & ~believable
        parsed[i][1] = has & ~placeholder
        placeholders.append(placeholder)
    result = []
    received_utc = received.to_numpy(dtype="datetime64[ns]").view("int64")
    previous = received_utc
    for (wall, has, off, unreadable, _), placeholder, label in zip(parsed, placeholders, labels, strict=True):
        naive = pd.Series(np.where(has, wall, np.iinfo(np.int64).min).view("datetime64[ns]"),
                          index=received.index)
        aware = localise(naive, pd.Series(off, index=received.index), tz, notes, label)
        utc = aware.to_numpy(dtype="datetime64[ns]").view("int64")
        known = aware.notna().to_numpy()
        before = known & (utc < previous)
        too_late = known & ((utc - received_utc) > MAX_PLAUSIBLE_HOURS * _HOUR_NS)
        bad = before | too_late
        if bad.any():
            aware = aware.where(~bad)
        for count, what in ((int(unreadable.sum()), "are unreadable"),
                            (int(placeholder.sum()), "are placeholders (0:00 or midnight where the record "
                                                     "shows it was not midnight)"),
                            (int(before.sum()), "come before the step they follow"),
                            (int(too_late.sum()), f"are more than {MAX_PLAUSIBLE_HOURS} h after the call")):
            if count:
                notes.append(f"{count} {label} times {what}; they are treated as missing")
        result.append(aware)
        previous = np.where(known & ~bad, utc, previous)
    return result


def _merge_units(calls: pd.DataFrame, explicit_units: bool) -> tuple[pd.DataFrame, int]:
    """Rows sharing an incident number become one call: first received, earliest times, units counted.

    Rows are sorted once by incident (then received time, then file order); every per-incident figure is
    then a reduction over consecutive runs (`ufunc.reduceat`), which keeps a million rows to a fraction
    of a second.
    """
    codes, _ = pd.factorize(calls["call_id"])
    n_calls = int(codes.max()) + 1 if len(codes) else 0
    if n_calls == len(calls):
        return calls, 0
    received = calls["received_at"].to_numpy(dtype="datetime64[ns]").view("int64")
    order = np.lexsort((calls["source_row"].to_numpy(), received, codes))
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    first = order[starts]
    # The first row of each incident (earliest received, then file order) carries its text fields.
    merged = calls.iloc[first].reset_index(drop=True)
    nat = np.iinfo(np.int64).min

    def time_reduce(col: str, how: str) -> pd.Series:
        values = calls[col]
        ns = values.to_numpy(dtype="datetime64[ns]").view("int64")[order]
        if how == "min":   # NaT (the smallest int64) must not win a minimum
            red = np.minimum.reduceat(np.where(ns == nat, np.iinfo(np.int64).max, ns), starts)
            red[red == np.iinfo(np.int64).max] = nat
        else:
            red = np.maximum.reduceat(ns, starts)
        out = pd.DatetimeIndex(red.view("datetime64[ns]")).tz_localize("UTC").tz_convert(values.dt.tz)
        return pd.Series(out)

    for col, how in (("dispatched_at", "min"), ("arrived_at", "min"), ("cleared_at", "max")):
        merged[col] = time_reduce(col, how)
    merged["source_row"] = np.minimum.reduceat(calls["source_row"].to_numpy()[order], starts)
    busy = calls["busy_minutes"].to_numpy(dtype=float)[order]
    known = np.add.reduceat((~np.isnan(busy)).astype(np.int64), starts)
    total = np.add.reduceat(np.nan_to_num(busy), starts)
    merged["busy_minutes"] = np.where(known > 0, total, np.nan)   # unknown stays unknown, not zero
    if calls["priority"].notna().any():
        pri = calls["priority"].to_numpy(dtype=float, na_value=np.nan)[order]
        low = np.minimum.reduceat(np.where(np.isnan(pri), np.inf, pri), starts)
        merged["priority"] = pd.array(np.where(np.isinf(low), np.nan, low), dtype="Int64")
    # Units: the export's own count, else distinct unit ids, else one per row.
    size = np.diff(np.r_[starts, len(order)])
    if explicit_units:
        units = np.maximum.reduceat(calls["units"].to_numpy()[order], starts)
    elif "unit_id" in calls:
        uid, _ = pd.factorize(calls["unit_id"], use_na_sentinel=True)
        # Distinct ids per incident: sort by (incident, id) and count where the id changes.
        o2 = np.lexsort((uid, codes))
        c2, u2 = codes[o2], uid[o2]
        new_id = np.r_[True, (c2[1:] != c2[:-1]) | (u2[1:] != u2[:-1])] & (u2 >= 0)
        s2 = np.flatnonzero(np.r_[True, c2[1:] != c2[:-1]])
        distinct = np.add.reduceat(new_id.astype(np.int64), s2)
        # Both sorts group incidents in code order; map each to its run in `order`.
        distinct_by_code = np.zeros(n_calls, dtype=np.int64)
        distinct_by_code[c2[s2]] = distinct
        d = distinct_by_code[sorted_codes[starts]]
        units = np.where(d > 0, d, size)
    else:
        units = size
    merged["units"] = np.asarray(units).astype("int64")
    return merged, int(len(calls) - len(merged))

"""Time bins over one week (bin 0 starts Monday 00:00) and readable names for runs of bins."""

from __future__ import annotations

from collections.abc import Iterable

from optimize.errors import OptimizeError

MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
WEEKS_PER_YEAR = 52.18
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DEFAULT_BIN_MINUTES = 60


def n_bins(bin_minutes: int = DEFAULT_BIN_MINUTES) -> int:
    """Number of bins in a week for bins of `bin_minutes` (168 for hourly bins)."""
    if not isinstance(bin_minutes, int) or bin_minutes <= 0 or MINUTES_PER_DAY % bin_minutes:
        raise OptimizeError(
            f"bin_minutes is {bin_minutes!r}, but it must be a positive whole number of minutes that divides "
            f"a day (1440), such as 60, 30 or 15"
        )
    return MINUTES_PER_WEEK // bin_minutes


def bin_minutes_for(count: int, what: str = "the week") -> int:
    """Bin length in minutes for a week split into `count` bins (60 for 168); `what` names the data in errors."""
    if not is_weekly_bin_count(count):
        raise OptimizeError(
            f"{what} has {count} bins, but a week splits only into bins that divide a day: use 168 "
            f"(60-minute), 336 (30-minute) or 672 (15-minute) bins"
        )
    return MINUTES_PER_WEEK // count


def is_weekly_bin_count(count: int) -> bool:
    """True if `count` bins split a week into bins that divide a day."""
    return count > 0 and MINUTES_PER_WEEK % count == 0 and MINUTES_PER_DAY % (MINUTES_PER_WEEK // count) == 0


def bin_label(index: int, bin_minutes: int = DEFAULT_BIN_MINUTES) -> str:
    """Start of bin `index` as 'Mon 08:00'."""
    minute = (index * bin_minutes) % MINUTES_PER_WEEK
    day, rest = divmod(minute, MINUTES_PER_DAY)
    return f"{DAY_NAMES[day]} {rest // 60:02d}:{rest % 60:02d}"


def _runs(indices: Iterable[int], count: int) -> list[tuple[int, int]]:
    """Consecutive runs (first, last) of the given indices, joined across the end of the week."""
    ordered = sorted({int(i) % count for i in indices})
    runs: list[list[int]] = []
    for i in ordered:
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    # A run that reaches the last bin continues into bin 0: Sunday night runs on into Monday morning.
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][1] == count - 1:
        runs[0][0] = runs[-1][0]
        runs.pop()
    return [(a, b) for a, b in runs]


def describe_bins(indices: Iterable[int], count: int, *, limit: int = 6) -> str:
    """Readable runs of bins, e.g. 'Mon 08:00-10:00, Sun 22:00-Mon 02:00' (or 'periods 3-5' off a weekly grid)."""
    runs = _runs(indices, count)
    if not runs:
        return "no bins"
    if not is_weekly_bin_count(count):
        parts = [f"{a}" if a == b else f"{a}-{b}" for a, b in runs]
        shown = ", ".join(parts[:limit])
        more = f" and {len(parts) - limit} more" if len(parts) > limit else ""
        return f"period{'s' if len(runs) > 1 or runs[0][0] != runs[0][1] else ''} {shown}{more}"
    width = MINUTES_PER_WEEK // count
    if len(runs) == 1 and (runs[0][1] - runs[0][0]) % count == count - 1:
        return "the whole week"
    parts = []
    for first, last in runs:
        start = first * width
        end = ((last + 1) * width) % MINUTES_PER_WEEK
        start_day = start // MINUTES_PER_DAY
        end_day, end_rest = divmod(end, MINUTES_PER_DAY)
        if end_day == start_day and end_rest > start % MINUTES_PER_DAY:
            end_text = f"{end_rest // 60:02d}:{end_rest % 60:02d}"
        elif end_rest == 0 and end_day == (start_day + 1) % 7:
            end_text = "24:00"
        else:
            end_text = f"{DAY_NAMES[end_day]} {end_rest // 60:02d}:{end_rest % 60:02d}"
        parts.append(f"{bin_label(first, width)}-{end_text}")
    shown = ", ".join(parts[:limit])
    more = f" and {len(parts) - limit} more" if len(parts) > limit else ""
    return shown + more

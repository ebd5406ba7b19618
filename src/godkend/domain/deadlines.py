"""Step deadlines: ISO-8601 durations, and when they fall due in calendar or Danish working days.

A duration is `P<n>D`, `PT<n>H`, `PT<n>M` or a combination (`P2DT4H`): days, hours and minutes
only, because months and years have no fixed length. It is counted from a start time in
Europe/Copenhagen local time:

- the days move the date forward, keeping the wall-clock time (so `P1D` across a daylight saving
  change is 23 or 25 hours, and a deadline set at 10:00 stays at 10:00);
- with `working_days`, each day counts only when it is a working day: Monday to Friday, not a
  Danish public holiday (the `holidays` package, country DK) and not one of the days the state
  gives off: Grundlovsdag (5 June), juleaftensdag (24 December) and nytårsaftensdag
  (31 December). The deadline is the n-th working day after the start's date, at the start's
  time of day, so `P1D` from Friday 10:00 or from Saturday 10:00 is Monday 10:00, and `P7D`
  from Monday 10:00 is the Wednesday of the next week, 10:00 (in a week without holidays);
- hours and minutes are then added as elapsed time.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
MAX_DAYS = 366
MAX_MINUTES = MAX_DAYS * 24 * 60

# ASCII digits only (\d would take any script's digits) and matched whole (no trailing newline).
_DURATION = re.compile(r"P(?:([0-9]{1,6})D)?(?:T(?:([0-9]{1,6})H)?(?:([0-9]{1,6})M)?)?")
# Days off in the Danish state beyond the public holidays (Finansministeriet's rules).
_STATE_DAYS_OFF = ((6, 5), (12, 24), (12, 31))


@dataclass(frozen=True)
class Duration:
    """A parsed duration: whole days, and a remainder in minutes."""

    days: int
    minutes: int

    @property
    def total_minutes(self) -> int:
        """The length as if every day had 24 hours: for ordering and limits, not for due times."""
        return self.days * 24 * 60 + self.minutes


def parse_duration(text: str) -> Duration:
    """The duration `text` means; ValueError (naming the text) if it is not one godkend accepts."""
    match = _DURATION.fullmatch(text)
    if match is None or text.endswith("T") or text in {"P", "PT"}:
        raise ValueError(
            f"{text!r} is not an ISO-8601 duration in days, hours and minutes (e.g. P3D, PT4H)"
        )
    days, hours, minutes = (int(part) if part else 0 for part in match.groups())
    duration = Duration(days, hours * 60 + minutes)
    if duration.total_minutes == 0:
        raise ValueError(f"{text!r} is zero: a deadline or reminder must be later than the start")
    if duration.total_minutes > MAX_MINUTES:
        raise ValueError(f"{text!r} is longer than {MAX_DAYS} days")
    return duration


@functools.cache
def _holidays(year: int) -> frozenset[dt.date]:
    # Imported here: the holiday tables cost ~0.1 s to import and only deadlines need them.
    from holidays import country_holidays  # noqa: PLC0415

    public = frozenset(country_holidays("DK", years=year).keys())
    return public | {dt.date(year, month, day) for month, day in _STATE_DAYS_OFF}


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday, and neither a Danish public holiday nor a state day off."""
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(day: dt.date, count: int) -> dt.date:
    """The date `count` working days after `day` (which itself need not be a working day)."""
    for _ in range(count):
        day += dt.timedelta(days=1)
        # At most a handful of days off in a row (Easter: Thursday to Monday), so this is short.
        while not is_working_day(day):
            day += dt.timedelta(days=1)
    return day


def due_at(start: dt.datetime, duration: str, *, working_days: bool) -> dt.datetime:
    """When a deadline of `duration` from `start` falls due (in `start`'s time zone).

    `start` must be timezone-aware; days are counted on the Copenhagen calendar. Compare or
    subtract the answer in UTC: Python subtracts two times of one tzinfo by their wall clocks.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    length = parse_duration(duration)
    local = start.astimezone(COPENHAGEN)
    if working_days:
        day = add_working_days(local.date(), length.days)
    else:
        day = local.date() + dt.timedelta(days=length.days)
    wall = dt.datetime.combine(day, local.time(), tzinfo=COPENHAGEN)
    # Through UTC, so that the hours are elapsed time even across a daylight saving change.
    due = wall.astimezone(dt.UTC) + dt.timedelta(minutes=length.minutes)
    return due.astimezone(start.tzinfo)

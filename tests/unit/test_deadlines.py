"""Deadlines: durations parsed strictly, and due times on the Danish working-day calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from godkend.domain.deadlines import (
    COPENHAGEN,
    Duration,
    add_working_days,
    due_at,
    is_working_day,
    parse_duration,
)

UTC = dt.UTC


def cph(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=COPENHAGEN)


def elapsed(start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    # Through UTC: Python subtracts two times of one tzinfo by their wall clocks.
    return end.astimezone(UTC) - start.astimezone(UTC)


def working(start: dt.datetime, duration: str) -> dt.datetime:
    return due_at(start, duration, working_days=True).astimezone(COPENHAGEN)


# -- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days", "minutes"),
    [
        ("P3D", 3, 0),
        ("PT4H", 0, 240),
        ("PT90M", 0, 90),
        ("P1DT2H30M", 1, 150),
        ("P366D", 366, 0),
    ],
)
def test_durations_parse(text: str, days: int, minutes: int) -> None:
    assert parse_duration(text) == Duration(days, minutes)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "P",
        "PT",
        "P1DT",
        "P1M",
        "P1Y",
        "P1W",
        "p3d",
        " P3D",
        "P3D ",
        "P3D\n",
        "P-1D",
        "P1.5D",
        "P\u0663D",
    ],
)
def test_what_is_not_a_duration_of_days_hours_and_minutes(text: str) -> None:
    with pytest.raises(ValueError, match="is not an ISO-8601 duration"):
        parse_duration(text)


def test_zero_and_too_long_are_refused() -> None:
    with pytest.raises(ValueError, match="is zero"):
        parse_duration("PT0M")
    with pytest.raises(ValueError, match="longer than 366 days"):
        parse_duration("P367D")
    with pytest.raises(ValueError, match="longer than 366 days"):
        parse_duration("P366DT1M")


# -- the calendar -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "works"),
    [
        (dt.date(2026, 3, 6), True),  # an ordinary Friday
        (dt.date(2026, 3, 7), False),  # Saturday
        (dt.date(2026, 3, 8), False),  # Sunday
        (dt.date(2026, 4, 2), False),  # skærtorsdag
        (dt.date(2026, 4, 3), False),  # langfredag
        (dt.date(2026, 4, 6), False),  # 2. påskedag
        (dt.date(2026, 4, 7), True),
        (dt.date(2026, 5, 1), True),  # 1 May is no day off in the state
        (dt.date(2026, 5, 14), False),  # Kristi himmelfartsdag
        (dt.date(2026, 5, 15), True),
        (dt.date(2026, 5, 25), False),  # 2. pinsedag
        (dt.date(2026, 6, 5), False),  # Grundlovsdag
        (dt.date(2026, 12, 24), False),  # juleaftensdag
        (dt.date(2026, 12, 25), False),
        (dt.date(2026, 12, 28), True),
        (dt.date(2026, 12, 31), False),  # nytårsaftensdag
        (dt.date(2027, 1, 1), False),
        (dt.date(2023, 5, 5), False),  # store bededag, a holiday until 2023
        (dt.date(2024, 4, 26), True),  # ... and a working day since 2024
    ],
)
def test_danish_working_days(day: dt.date, works: bool) -> None:
    assert is_working_day(day) is works


def test_weekends_are_skipped() -> None:
    assert working(cph(2026, 3, 6), "P1D") == cph(2026, 3, 9)  # Friday -> Monday
    assert working(cph(2026, 3, 7), "P1D") == cph(2026, 3, 9)  # Saturday -> Monday
    assert working(cph(2026, 3, 8), "P1D") == cph(2026, 3, 9)  # Sunday -> Monday
    assert working(cph(2026, 3, 9), "P5D") == cph(2026, 3, 16)  # Monday -> next Monday


def test_aktindsigt_seven_working_days() -> None:
    assert working(cph(2026, 3, 2), "P7D") == cph(2026, 3, 11)


def test_easter() -> None:
    # Wednesday before Easter 2026: Thursday to Monday are all days off.
    assert working(cph(2026, 4, 1), "P1D") == cph(2026, 4, 7)
    assert working(cph(2026, 4, 1), "P3D") == cph(2026, 4, 9)
    assert working(cph(2026, 3, 30), "P7D") == cph(2026, 4, 13)
    # Calendar days ignore holidays.
    assert due_at(cph(2026, 4, 1), "P1D", working_days=False) == cph(2026, 4, 2)


def test_christmas_and_new_year() -> None:
    # 23 Dec 2026 is a Wednesday; 24-27 are off, 31 and 1 Jan too.
    assert working(cph(2026, 12, 23), "P1D") == cph(2026, 12, 28)
    assert working(cph(2026, 12, 23), "P3D") == cph(2026, 12, 30)
    assert working(cph(2026, 12, 23), "P4D") == cph(2027, 1, 4)


def test_grundlovsdag() -> None:
    assert working(cph(2026, 6, 4), "P1D") == cph(2026, 6, 8)  # 5 June 2026 is a Friday
    assert working(cph(2025, 6, 4), "P1D") == cph(2025, 6, 6)  # 5 June 2025 is a Thursday


def test_hours_are_elapsed_time_after_the_days() -> None:
    assert working(cph(2026, 3, 6), "P1DT4H") == cph(2026, 3, 9, 14)
    assert working(cph(2026, 3, 6, 22), "PT4H") == cph(2026, 3, 7, 2)
    assert due_at(cph(2026, 3, 6), "PT90M", working_days=False) == cph(2026, 3, 6, 11, 30)


# -- daylight saving time ---------------------------------------------------------------------


def test_a_day_keeps_the_wall_clock_across_daylight_saving() -> None:
    # Summer time begins Sunday 29 March 2026 at 02:00: that day has 23 hours.
    start = cph(2026, 3, 28)  # 09:00 UTC
    due = due_at(start, "P1D", working_days=False)
    assert due == dt.datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    assert elapsed(start, due) == dt.timedelta(hours=23)
    # Summer time ends Sunday 25 October 2026 at 03:00: that day has 25 hours.
    start = cph(2026, 10, 24)
    assert elapsed(start, due_at(start, "P1D", working_days=False)) == dt.timedelta(hours=25)


def test_working_days_across_daylight_saving() -> None:
    due = due_at(cph(2026, 3, 27), "P1D", working_days=True)  # Friday 10:00 CET
    assert due == dt.datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # Monday 10:00 CEST


def test_hours_across_daylight_saving_are_real_hours() -> None:
    start = cph(2026, 3, 28, 12)
    assert elapsed(start, due_at(start, "PT24H", working_days=False)) == dt.timedelta(hours=24)
    assert due_at(start, "PT24H", working_days=False).astimezone(COPENHAGEN).hour == 13


def test_a_wall_clock_time_that_does_not_exist_moves_forward() -> None:
    # 02:30 on 29 March 2026 does not exist in Copenhagen; it is read as 03:30 summer time.
    due = due_at(cph(2026, 3, 28, 2, 30), "P1D", working_days=False)
    assert due == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_the_answer_is_in_the_start_time_zone() -> None:
    start = dt.datetime(2026, 3, 6, 9, 0, tzinfo=UTC)  # Friday 10:00 in Copenhagen
    due = due_at(start, "P1D", working_days=True)
    assert due.tzinfo is UTC
    assert due == dt.datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(dt.datetime(2026, 3, 6, 10, 0), "P1D", working_days=True)  # noqa: DTZ001


# -- properties -------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2030, 12, 31)),
    hour=st.integers(6, 20),
    count=st.integers(1, 40),
)
def test_n_working_days_later_is_a_working_day_with_n_working_days_between(
    day: dt.date, hour: int, count: int
) -> None:
    start = cph(day.year, day.month, day.day, hour)
    due = working(start, f"P{count}D")
    assert is_working_day(due.date())
    assert (due.hour, due.minute) == (hour, 0)
    between = [
        start.date() + dt.timedelta(days=n) for n in range(1, (due.date() - start.date()).days + 1)
    ]
    assert sum(map(is_working_day, between)) == count
    assert add_working_days(start.date(), count) == due.date()

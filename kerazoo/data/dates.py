"""An offline sequence-to-sequence task: human-written dates in many formats -> ISO 8601.

    "Tuesday, March 3, 1998" -> "1998-03-03"
    "the 3rd of march, 1998" -> "1998-03-03"
    "03.03.1998"             -> "1998-03-03"

Dates are drawn uniformly from 1900-01-01 to 2099-12-31 and written in one
of `FORMATS`, chosen at random. Numeric formats keep one convention per
separator (day.month.year, month/day/year, year-month-day), so every input
has exactly one answer. `date_splits` holds out whole dates: no calendar
day of the test set appears, in any format, in training.
"""

import datetime

import numpy as np

FIRST = datetime.date(1900, 1, 1)
DAYS = (datetime.date(2099, 12, 31) - FIRST).days + 1


def _ordinal(day):
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _month(d):
    return d.strftime("%B")


def _mon(d):
    return d.strftime("%b")


FORMATS = {
    "d month yyyy": lambda d: f"{d.day} {_month(d)} {d.year}",
    "dd month yyyy": lambda d: f"{d.day:02d} {_month(d)} {d.year}",
    "month d, yyyy": lambda d: f"{_month(d)} {d.day}, {d.year}",
    "mon d, yyyy": lambda d: f"{_mon(d)} {d.day}, {d.year}",
    "mon. d, yyyy": lambda d: f"{_mon(d)}. {d.day}, {d.year}",
    "d mon yyyy": lambda d: f"{d.day} {_mon(d)} {d.year}",
    "weekday, month d, yyyy": lambda d: f"{d.strftime('%A')}, {_month(d)} {d.day}, {d.year}",
    "wkd, d mon yyyy": lambda d: f"{d.strftime('%a')}, {d.day} {_mon(d)} {d.year}",
    "the dth of month, yyyy": lambda d: f"the {_ordinal(d.day)} of {_month(d)}, {d.year}",
    "dth month yyyy": lambda d: f"{_ordinal(d.day)} {_month(d)} {d.year}",
    "month dth, yyyy (lower case)": lambda d: f"{_month(d).lower()} {_ordinal(d.day)}, {d.year}",
    "MONTH D YYYY (upper case)": lambda d: f"{_month(d).upper()} {d.day} {d.year}",
    "dd-mon-yyyy": lambda d: f"{d.day:02d}-{_mon(d)}-{d.year}",
    "dd.mm.yyyy": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    "d.m.yyyy": lambda d: f"{d.day}.{d.month}.{d.year}",
    "mm/dd/yyyy": lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}",
    "m/d/yyyy": lambda d: f"{d.month}/{d.day}/{d.year}",
    "yyyy/mm/dd": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    "yyyymmdd": lambda d: f"{d.year}{d.month:02d}{d.day:02d}",
    "yyyy-m-d": lambda d: f"{d.year}-{d.month}-{d.day}",
}


def iso(date):
    return date.isoformat()


def write_date(date, rng):
    """`date` in a random format of `FORMATS`."""
    names = list(FORMATS)
    return FORMATS[names[rng.integers(len(names))]](date)


def date_pairs(days, seed=0):
    """(human-written, ISO) pairs for the given day offsets from 1900-01-01."""
    rng = np.random.default_rng(seed)
    pairs = []
    for offset in days:
        date = FIRST + datetime.timedelta(days=int(offset))
        pairs.append((write_date(date, rng), iso(date)))
    return pairs


def date_splits(train_size=50_000, test_size=2_000, seed=0):
    """Train and test pairs over disjoint sets of calendar days.

    Args:
        train_size: int. Training pairs; a day may appear in several formats.
        test_size: int. Test pairs, one per held-out day.
        seed: int.

    Returns:
        `(train_pairs, test_pairs)`, lists of `(source, target)` strings.
    """
    for name, value in (("train_size", train_size), ("test_size", test_size)):
        if int(value) != value or value < 1:
            raise ValueError(f"`{name}` must be an integer >= 1. Received: {name}={value}")
    if test_size >= DAYS // 2:
        raise ValueError(f"`test_size` must be < {DAYS // 2}. Received: test_size={test_size}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(DAYS)
    test_days, train_days = order[:test_size], order[test_size:]
    train = date_pairs(rng.choice(train_days, size=train_size), seed=seed + 1)
    test = date_pairs(test_days, seed=seed + 2)
    return train, test

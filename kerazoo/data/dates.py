"""An offline sequence-to-sequence task: human-written dates in many formats -> ISO 8601.

    "Tuesday, March 3, 1998" -> "1998-03-03"
    "the 3rd of march, 1998" -> "1998-03-03"
    "03.03.1998"             -> "1998-03-03"

Dates are drawn uniformly from 1900-01-01 to 2099-12-31 and written in one
of `FORMATS`, chosen at random. Numeric formats keep one convention per
separator (day.month.year, month/day/year, year-month-day), so every input
has exactly one answer. `date_splits` holds out whole dates: no calendar
day of the test set appears, in any format, in training.

`NEW_FORMATS` are formats that `FORMATS` never writes: days as spelled-out
ordinals ("the fourth of July, 1976", "July fourth, 1976") and day-first
numerals with dashes ("25-12-2024"). `date_splits(test_formats=NEW_FORMATS)`
writes its test dates in those only, to measure whether a model reads a date
in a format it was never trained on (the transfer study, docs/transfer.md).
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


_ORDINAL_WORDS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
                  "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth").split()


def spelled_ordinal(day):
    """A day of the month as an English ordinal word: 4 -> "fourth", 21 -> "twenty-first", 30 -> "thirtieth"."""
    if not 1 <= day <= 31:
        raise ValueError(f"`day` must be a day of the month, 1 to 31. Received: day={day!r}")
    if day <= 20:
        return _ORDINAL_WORDS[day - 1]
    if day == 30:
        return "thirtieth"
    tens = "twenty" if day < 30 else "thirty"
    return f"{tens}-{_ORDINAL_WORDS[day % 10 - 1]}"


# Formats that FORMATS never writes, for a test of formats never seen in training.
NEW_FORMATS = {
    "the spelled dth of month, yyyy": lambda d: f"the {spelled_ordinal(d.day)} of {_month(d)}, {d.year}",
    "month spelled dth, yyyy": lambda d: f"{_month(d)} {spelled_ordinal(d.day)}, {d.year}",
    "dd-mm-yyyy": lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}",
    "d-m-yyyy (day first)": lambda d: f"{d.day}-{d.month}-{d.year}",
}


def iso(date):
    return date.isoformat()


def write_date(date, rng, formats=None):
    """`date` in a random format of `formats` (a dict of name -> function, `FORMATS` by default)."""
    formats = FORMATS if formats is None else formats
    names = list(formats)
    return formats[names[rng.integers(len(names))]](date)


def date_pairs(days, seed=0, formats=None):
    """(human-written, ISO) pairs for the given day offsets from 1900-01-01, in `formats` (`FORMATS` by default)."""
    rng = np.random.default_rng(seed)
    pairs = []
    for offset in days:
        date = FIRST + datetime.timedelta(days=int(offset))
        pairs.append((write_date(date, rng, formats), iso(date)))
    return pairs


def date_splits(train_size=50_000, test_size=2_000, seed=0, test_formats=None):
    """Train and test pairs over disjoint sets of calendar days.

    Args:
        train_size: int. Training pairs; a day may appear in several formats.
        test_size: int. Test pairs, one per held-out day.
        seed: int.
        test_formats: dict of name -> function, or None. The formats of the test
            pairs (`NEW_FORMATS` for formats never trained on); None writes them,
            as the training pairs, in `FORMATS`.

    Returns:
        `(train_pairs, test_pairs)`, lists of `(source, target)` strings.
    """
    for name, value in (("train_size", train_size), ("test_size", test_size)):
        if int(value) != value or value < 1:
            raise ValueError(f"`{name}` must be an integer >= 1. Received: {name}={value}")
    if test_size >= DAYS // 2:
        raise ValueError(f"`test_size` must be < {DAYS // 2}. Received: test_size={test_size}")
    if test_formats is not None and (not isinstance(test_formats, dict) or not test_formats):
        raise ValueError(f"`test_formats` must be a non-empty dict of name -> function or None. "
                         f"Received: test_formats={test_formats!r}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(DAYS)
    test_days, train_days = order[:test_size], order[test_size:]
    train = date_pairs(rng.choice(train_days, size=train_size), seed=seed + 1)
    test = date_pairs(test_days, seed=seed + 2, formats=test_formats)
    return train, test

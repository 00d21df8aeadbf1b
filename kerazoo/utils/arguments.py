"""Checks of constructor and function arguments, with one wording for all of kerazoo.

Each check returns the value it accepts, and otherwise raises a ValueError
that names the argument, what it must be and what it received, the way
Keras's own layers word it:

    ValueError: `units` must be an integer >= 1. Received: units=0

Booleans are not numbers here, although Python treats `True` as 1: a flag
passed where a count belongs is a mistake worth reporting.
"""

import math
import numbers


def _shown(value):
    # Quotes show what a string held (an empty one too); numbers print as written.
    return repr(value) if isinstance(value, str) else f"{value}"


def _fail(name, requirement, value, note=None):
    note = f" ({note})" if note else ""
    raise ValueError(f"`{name}` must be {requirement}{note}. Received: {name}={_shown(value)}")


def _range_text(minimum, maximum, exclusive_minimum, exclusive_maximum):
    if minimum is not None and maximum is not None:
        return f"in {'(' if exclusive_minimum else '['}{minimum}, {maximum}{')' if exclusive_maximum else ']'}"
    if minimum is not None:
        return f"{'>' if exclusive_minimum else '>='} {minimum}"
    if maximum is not None:
        return f"{'<' if exclusive_maximum else '<='} {maximum}"
    return ""


def _in_range(value, minimum, maximum, exclusive_minimum, exclusive_maximum):
    if minimum is not None and (value <= minimum if exclusive_minimum else value < minimum):
        return False
    if maximum is not None and (value >= maximum if exclusive_maximum else value > maximum):
        return False
    return True


def _is_integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_integer(name, value, minimum=None, maximum=None, exclusive_maximum=False, allow_none=False, note=None):
    """Returns `value` if it is an integer in range (or None, when allowed), else raises a ValueError.

    Args:
        name: str. The argument's name, as the caller spells it.
        value: what the caller passed. Python and NumPy integers count; floats,
            even 2.0, and booleans do not.
        minimum, maximum: int or None. Inclusive bounds, unless `exclusive_maximum`.
        allow_none: bool. Accept None too ("... or None" in the message).
        note: str or None. A short explanation added in parentheses, e.g. "0 turns it off".

    Example:

    >>> check_integer("units", 0, minimum=1)
    Traceback (most recent call last):
    ValueError: `units` must be an integer >= 1. Received: units=0
    """
    if value is None and allow_none:
        return value
    if not _is_integer(value) or not _in_range(value, minimum, maximum, False, exclusive_maximum):
        bound = _range_text(minimum, maximum, False, exclusive_maximum)
        _fail(name, " ".join(filter(None, ("an integer", bound))) + (" or None" if allow_none else ""), value, note)
    return value


def check_number(name, value, minimum=None, maximum=None, exclusive_minimum=False, exclusive_maximum=False,
                 allow_none=False, finite=False, note=None):
    """Returns `value` if it is a real number in range (or None, when allowed), else raises a ValueError.

    NaN is never in range. With `finite`, the infinities are refused as well.
    The message states the range, e.g. "`decay_rate` must be in (0, 1]".
    """
    if value is None and allow_none:
        return value
    bound = _range_text(minimum, maximum, exclusive_minimum, exclusive_maximum)
    or_none = " or None" if allow_none else ""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or (finite and not math.isfinite(value)):
        kind = "a finite number" if finite else "a number"
        _fail(name, " ".join(filter(None, (kind, bound))) + or_none, value, note)
    if math.isnan(value) or not _in_range(value, minimum, maximum, exclusive_minimum, exclusive_maximum):
        _fail(name, (bound or "a number") + or_none, value, note)
    return value


def check_positive(name, value, allow_none=False):
    """Returns `value` if it is a number > 0 (or None, when allowed), else raises a ValueError."""
    return check_number(name, value, minimum=0, exclusive_minimum=True, allow_none=allow_none)


def check_rate(name, value):
    """Returns `value` if it is a rate in [0, 1), a dropout rate for instance, else raises a ValueError."""
    return check_number(name, value, minimum=0, maximum=1, exclusive_maximum=True)


def check_choice(name, value, choices):
    """Returns `value` if it is one of `choices` (any collection; a dict's keys), else raises a ValueError."""
    choices = list(choices)
    try:
        known = value in choices
    except (TypeError, ValueError):  # e.g. an array, whose `==` is elementwise
        known = False
    if not known:
        _fail(name, f"one of {choices}", value)
    return value

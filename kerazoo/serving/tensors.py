"""TF Serving's JSON encoding of tensors: requests in the row (`instances`) or column (`inputs`) format,
responses as `predictions` or `outputs`.

Strings travel as JSON strings (UTF-8), bytes as `{"b64": "..."}`; an output
whose name ends in `_bytes`, or whose bytes are not UTF-8, comes back as
`{"b64": ...}`. Every input is checked against the signature before a tensor is
made: its name, its type, its rank and fixed sizes, that it is not ragged,
that its numbers are finite and fit the type, and that its batch is within the
limit the model was exported with. A bad input is a `ServingError`
(`INVALID_ARGUMENT`, HTTP 400) whose message names the input.
"""

import base64
import binascii
import math

import numpy as np

from kerazoo.serving.errors import invalid

_NUMERIC = {
    "int32": (np.int32, "an integer"), "int64": (np.int64, "an integer"), "float32": (np.float32, "a number"),
    "float64": (np.float64, "a number"), "bool": (np.bool_, "true or false"), "int8": (np.int8, "an integer"),
    "uint8": (np.uint8, "an integer"), "int16": (np.int16, "an integer"),
}


def _describe(value):
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else type(value).__name__


def _string_leaf(value, name):
    if isinstance(value, str):
        return value.encode("utf-8", errors="surrogatepass")
    if isinstance(value, dict) and set(value) == {"b64"} and isinstance(value["b64"], str):
        try:
            return base64.b64decode(value["b64"], validate=True)
        except (binascii.Error, ValueError):
            raise invalid(f"Input `{name}`: `b64` must hold valid base64.") from None
    raise invalid(f"Input `{name}` must hold strings (or {{\"b64\": ...}} objects). Received {_describe(value)}.")


def _number_leaf(value, name, dtype):
    if dtype == "bool":
        if isinstance(value, bool):
            return value
        raise invalid(f"Input `{name}` must hold true or false. Received {_describe(value)}.")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(f"Input `{name}` must hold numbers ({dtype}). Received {_describe(value)}.")
    if isinstance(value, float) and not math.isfinite(value):
        raise invalid(f"Input `{name}` must hold finite numbers. Received: {name}={value}")
    if dtype.startswith(("int", "uint")):
        if isinstance(value, float):
            if not value.is_integer():
                raise invalid(f"Input `{name}` must hold integers ({dtype}). Received: {name}={value}")
            value = int(value)
        info = np.iinfo(_NUMERIC[dtype][0])
        if not info.min <= value <= info.max:
            raise invalid(f"Input `{name}` must fit in {dtype} [{info.min}, {info.max}]. Received: {name}={value}")
    elif dtype.startswith("float") and abs(value) > float(np.finfo(_NUMERIC[dtype][0]).max):
        raise invalid(f"Input `{name}` must fit in {dtype}. Received: {name}={value}")
    return value


def _shape_of(value, name, limit):
    """The shape of a nested list, checking it is not ragged; `limit` bounds the element count."""
    shape, level = [], [value]
    while level and isinstance(level[0], list):
        size = len(level[0])
        if any(not isinstance(item, list) or len(item) != size for item in level):
            raise invalid(f"Input `{name}` is ragged: every list at depth {len(shape)} must have {size} items.")
        shape.append(size)
        count = len(level) * size
        if count > limit:
            raise invalid(f"Input `{name}` holds more than {limit} values.")
        level = [item for sub in level for item in sub]
    if any(isinstance(item, list) for item in level):
        raise invalid(f"Input `{name}` is ragged: lists and values are mixed at depth {len(shape)}.")
    return shape, level


def to_array(value, spec_dtype, spec_shape, name, max_batch=None, max_values=10_000_000):
    """A JSON value as a NumPy array of the signature's type and rank; raises `ServingError`.

    Args:
        value: the JSON value (nested lists, numbers, strings, {"b64": ...}).
        spec_dtype: str, the TensorFlow dtype name of the input (`int32`, `string`, ...).
        spec_shape: list of int or None, the input's shape in the signature.
        name: the input's name, for messages.
        max_batch: int or None. The most rows (first dimension) the model accepts.
    """
    shape, leaves = _shape_of(value, name, max_values)
    if len(shape) != len(spec_shape):
        raise invalid(
            f"Input `{name}` must have rank {len(spec_shape)} (shape {_format_shape(spec_shape)}). "
            f"Received rank {len(shape)} (shape {shape})."
        )
    for axis, (got, want) in enumerate(zip(shape, spec_shape)):
        if want is not None and got != want:
            raise invalid(f"Input `{name}` must have {want} entries on axis {axis}. Received {got}.")
    if max_batch is not None and shape and shape[0] > max_batch:
        raise invalid(
            f"Input `{name}` must hold at most {max_batch} rows (the limit the model was exported with). "
            f"Received {shape[0]}."
        )
    if spec_dtype == "string":
        array = np.empty(len(leaves), dtype=object)
        array[:] = [_string_leaf(leaf, name) for leaf in leaves]
        return array.reshape(shape)
    if spec_dtype not in _NUMERIC:
        raise invalid(f"Input `{name}` has type {spec_dtype}, which the REST API does not carry.")
    return _numbers(leaves, name, spec_dtype).reshape(shape)


def _numbers(leaves, name, dtype):
    """The numeric leaves as an array of `dtype`, checked in NumPy, with the first bad leaf's message on failure.

    The common request (only integers for an integer input, only numbers for a float input) is
    converted and checked in a few vector operations; anything else, and any check that fails,
    goes through `_number_leaf` one leaf at a time, which names the offending value.
    """
    target = _NUMERIC[dtype][0]
    kinds = set(map(type, leaves))
    integer = dtype.startswith(("int", "uint"))
    if dtype != "bool" and kinds <= ({int} if integer else {int, float}):  # bool goes leaf by leaf
        try:
            wide = np.asarray(leaves, dtype=np.int64 if integer else np.float64)
        except OverflowError:
            wide = None  # a Python int past int64 or float64: the leaf loop reports it
        if wide is not None and wide.size:
            if integer:
                info = np.iinfo(target)
                fits = info.min <= wide.min() and wide.max() <= info.max
            else:
                # Strictly under the largest value: an integer past it can round down to it in float64.
                fits = bool(np.isfinite(wide).all()) and float(np.abs(wide).max()) < float(np.finfo(target).max)
        else:
            fits = wide is not None
        if fits:
            return wide.astype(target, copy=False)
    return np.asarray([_number_leaf(leaf, name, dtype) for leaf in leaves], dtype=target)


def _format_shape(shape):
    return "[" + ", ".join("-1" if size is None else str(size) for size in shape) + "]"


def parse_request(body, specs, max_batch=None):
    """The inputs of a predict request as `(arrays, row_format)`.

    Args:
        body: the parsed JSON object.
        specs: dict input name -> (dtype name, shape list).
        max_batch: int or None, see `to_array`.
    """
    if not isinstance(body, dict):
        raise invalid(f"The request body must be a JSON object. Received {_describe(body)}.")
    unknown = sorted(set(body) - {"signature_name", "instances", "inputs"})
    if unknown:
        raise invalid(f"Unknown keys in the request: {unknown}. A predict request has `signature_name` and "
                      "either `instances` or `inputs`.")
    if ("instances" in body) == ("inputs" in body):
        raise invalid("A predict request must have either `instances` (row format) or `inputs` (column format), "
                      "not both and not neither.")
    names = sorted(specs)
    if "inputs" in body:
        inputs = body["inputs"]
        if len(names) == 1 and not (isinstance(inputs, dict) and set(inputs) == set(names)):
            inputs = {names[0]: inputs}  # one input: its value alone
        elif not isinstance(inputs, dict):
            raise invalid(f"`inputs` must be an object naming every input: {names}. Received {_describe(inputs)}.")
        _check_names(inputs, names)
        return {key: to_array(inputs[key], *specs[key], key, max_batch) for key in names}, False
    instances = body["instances"]
    if not isinstance(instances, list):
        raise invalid(f"`instances` must be a list, one item per example. Received {_describe(instances)}.")
    if max_batch is not None and len(instances) > max_batch:
        raise invalid(f"`instances` must hold at most {max_batch} items (the limit the model was exported with). "
                      f"Received {len(instances)}.")
    scalars = [key for key in names if not specs[key][1]]
    if scalars:
        raise invalid(f"Inputs {scalars} are scalars, which the row format cannot carry; use the column format "
                      "(`inputs`).")
    if len(names) == 1 and not (instances and isinstance(instances[0], dict) and set(instances[0]) == set(names)):
        key = names[0]
        return {key: to_array(instances, *specs[key], key, max_batch)}, True
    columns = {key: [] for key in names}
    for index, instance in enumerate(instances):
        if not isinstance(instance, dict):
            raise invalid(f"Each item of `instances` must be an object naming every input {names}. "
                          f"Received {_describe(instance)} at index {index}.")
        _check_names(instance, names, f"`instances[{index}]`")
        for key in names:
            columns[key].append(instance[key])
    return {key: to_array(columns[key], *specs[key], key, max_batch) for key in names}, True


def _check_names(given, names, where="`inputs`"):
    missing = sorted(set(names) - set(given))
    if missing:
        raise invalid(f"{where} is missing inputs {missing}; the signature takes {names}.")
    extra = sorted(set(given) - set(names))
    if extra:
        raise invalid(f"{where} has unknown inputs {extra}; the signature takes {names}.")


def _json_value(array, binary):
    """Strings as nested lists of UTF-8 text or {"b64": ...}; numbers stay a NumPy array, which `json_bytes` writes."""
    if array.dtype == object or array.dtype.kind == "S":
        flat = [_json_string(item, binary) for item in array.reshape(-1)]
        return _nest(flat, array.shape)
    return array.item() if array.ndim == 0 else np.ascontiguousarray(array)


def _as_list(value):
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _all_finite(content):
    if isinstance(content, np.ndarray):
        return content.dtype.kind != "f" or bool(np.isfinite(content).all())
    if isinstance(content, float):
        return math.isfinite(content)
    if isinstance(content, dict):
        return all(_all_finite(value) for value in content.values())
    if isinstance(content, list) and content and isinstance(content[0], dict):  # the row format's rows
        return all(_all_finite(value) for value in content)
    return True


def json_bytes(content):
    """`content` as JSON bytes; NumPy arrays are written by orjson without a detour through Python lists.

    float32 numbers come out in their shortest form (0.12573022, as TF Serving writes them, not
    0.1257302165031433). A NaN or an infinity comes out as TF Serving writes it, `NaN`, `Infinity`
    or `-Infinity` (api_rest.md, "JSON conformance"), through Python's json module, which writes
    those tokens and orjson does not.
    """
    import json

    import orjson

    if not _all_finite(content):
        return json.dumps(content, default=_as_list, allow_nan=True, separators=(",", ":")).encode("utf-8")
    return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY, default=_as_list)


def _json_string(item, binary):
    if not binary:
        try:
            return item.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return {"b64": base64.b64encode(item).decode("ascii")}


def _nest(flat, shape):
    if not shape:
        return flat[0]
    for size in reversed(shape[1:]):
        flat = [flat[i : i + size] for i in range(0, len(flat), size)]
    return flat


def encode_response(outputs, row_format):
    """The response object for `outputs` (name -> NumPy array)."""
    values = {name: _json_value(np.asarray(array), name.endswith("_bytes")) for name, array in outputs.items()}
    if not row_format:
        return {"outputs": next(iter(values.values())) if len(values) == 1 else values}
    if len(values) == 1:
        return {"predictions": next(iter(values.values()))}
    sizes = {name: (np.shape(array)[0] if np.ndim(array) else None) for name, array in outputs.items()}
    if len(set(sizes.values())) != 1 or None in sizes.values():
        raise invalid(f"The outputs have different batch sizes {sizes}, which the row format cannot carry; use the "
                      "column format (`inputs`).")
    rows = next(iter(sizes.values()))
    return {"predictions": [{name: value[i] for name, value in values.items()} for i in range(rows)]}

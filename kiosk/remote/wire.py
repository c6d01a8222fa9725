"""The core's values on the wire (JSON) and back, driven by their type hints: dataclasses, enums,
dates, paths, bytes, lists, tuples, dicts (any key type), optionals. One codec for every use case the
clinic server serves, so the remote facade returns the same objects as the local one."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import functools
import types
import typing
from pathlib import Path
from typing import Any


def dump(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: dump(v) for k, v in value.items()}
        return {"$pairs": [[dump(k), dump(v)] for k, v in value.items()]}
    raise TypeError(f"cannot send a {type(value).__name__} over the wire")


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def load(tp: Any, data: Any) -> Any:
    """``data`` (from ``dump``) as a value of type ``tp``."""
    if tp is Any or tp is object:
        return _untag(data)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if data is None:
            return None
        return load(args[0], data) if len(args) == 1 else _untag(data)
    if data is None:
        return None
    if origin in (list, set, frozenset, tuple) and not isinstance(data, list):
        raise TypeError(f"a list is needed, not {type(data).__name__}")
    if origin is dict and not isinstance(data, dict):
        raise TypeError(f"an object is needed, not {type(data).__name__}")
    if origin in (list, set, frozenset):
        (item,) = typing.get_args(tp) or (Any,)
        return origin(load(item, v) for v in data)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(load(args[0], v) for v in data)
        return tuple(load(a, v) for a, v in zip(args, data, strict=True)) if args else tuple(data)
    if origin is dict:
        key_t, value_t = typing.get_args(tp) or (Any, Any)
        if isinstance(data, dict) and "$pairs" in data:
            return {load(key_t, k): load(value_t, v) for k, v in data["$pairs"]}
        return {load(key_t, k): load(value_t, v) for k, v in data.items()}
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return tp(data)
        if issubclass(tp, dt.datetime):
            return dt.datetime.fromisoformat(data)
        if issubclass(tp, dt.date):
            return dt.date.fromisoformat(data)
        if issubclass(tp, Path):
            return Path(data)
        if issubclass(tp, bytes):
            return base64.b64decode(data["$bytes"])
        if dataclasses.is_dataclass(tp):
            if not isinstance(data, dict):
                raise TypeError(f"an object is needed for {tp.__name__}")
            hints = _hints(tp)
            fields = {f.name: load(hints[f.name], data[f.name]) for f in dataclasses.fields(tp)
                      if f.init and f.name in data}
            return tp(**fields)
        if tp in (int, float, str, bool):
            return _scalar(tp, data)
    return _untag(data)


def _scalar(tp: type, data: Any) -> Any:
    """A JSON scalar as ``tp``, strictly: a string where a number is expected is an error, not a
    conversion (the clinic server answers it with a 400)."""
    if tp is bool or isinstance(data, bool):
        if tp is not bool or not isinstance(data, bool):
            raise TypeError(f"{tp.__name__} needed, not {type(data).__name__}")
        return data
    if tp is str:
        if not isinstance(data, str):
            raise TypeError(f"a string is needed, not {type(data).__name__}")
        return data
    if tp is int and isinstance(data, int):
        return data
    if tp is float and isinstance(data, (int, float)):
        return float(data)
    raise TypeError(f"{tp.__name__} needed, not {type(data).__name__}")


def _untag(data: Any) -> Any:
    if isinstance(data, dict):
        if set(data) == {"$bytes"}:
            return base64.b64decode(data["$bytes"])
        return {k: _untag(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_untag(v) for v in data]
    return data

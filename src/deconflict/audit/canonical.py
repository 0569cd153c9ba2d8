"""Canonical JSON (RFC 8785, JCS): one byte string per value, so a hash means one thing.

Rules, as in RFC 8785: object members sorted by their names' UTF-16 code units; no
whitespace; strings escaped minimally (only ``"``, ``\\`` and control characters, with
the short forms ``\\b \\t \\n \\f \\r`` and lowercase ``\\u00xx`` otherwise) and written
as UTF-8; numbers in the ECMAScript ``Number.prototype.toString`` form (``1.0`` → ``1``,
``1e21`` → ``1e+21``, ``1e-7`` → ``1e-7``). Only I-JSON values are accepted: integers
within ±(2**53 − 1), finite floats, str, bool, None, lists and str-keyed dicts; anything
else raises `EventFormatError` rather than being silently coerced.

Written here rather than taken from a package because the rules fit in a page and the
audit log must not change its bytes when a dependency does; the RFC's own number
examples are in the tests.

Most values (every event and notice digest) take a fast path: one walk that checks
they hold nothing the rules treat differently from Python's C JSON encoder (non-string
or non-ASCII member names, integers beyond I-JSON, floats whose shortest form Python and
ECMAScript spell differently) while turning integral floats into ints, then that
encoder. Anything else goes through the encoder below, which is the definition; a
property test holds the two to the same bytes.
"""

from __future__ import annotations

import json
import json.encoder
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from deconflict.audit.errors import EventFormatError

_string: Any = json.encoder.encode_basestring  # type: ignore[attr-defined]
"""json's own (C) string escaper, the one ``json.dumps(ensure_ascii=False)`` uses: it
escapes exactly ``"``, ``\\`` and control characters, as RFC 8785 requires."""


def escape_string(text: str) -> str:
    """A string as canonical JSON (quoted, minimally escaped)."""
    if type(text) is not str:
        raise EventFormatError(f"{type(text).__name__} is not a string")
    return _string(text)  # type: ignore[no-any-return]


MAX_SAFE_INTEGER = 2**53 - 1


class Encoded(str):
    """A value already in canonical form (the text `canonical_json` made of it), to be
    spliced as it is into a larger value: an event's payload is encoded once, then
    placed both under its digest and in the stored line."""

    __slots__ = ()


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 encoding of `value` as UTF-8 bytes.

    >>> canonical_json({"b": [1.0, 1e21, None], "a": "x", "A": True})
    b'{"A":true,"a":"x","b":[1,1e+21,null]}'
    """
    try:
        return canonical_text(value).encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate in a string
        raise EventFormatError(f"string is not valid Unicode: {exc.reason}") from exc


def canonical_text(value: Any) -> Encoded:
    """`canonical_json` before UTF-8 encoding, ready to be spliced into a larger value.

    >>> canonical_json({"b": Encoded(canonical_text([2.0])), "a": 1})
    b'{"a":1,"b":[2]}'
    """
    try:
        plain = _plain(value)
    except _NotPlain:
        return reference_text(value)
    return Encoded("".join(_fast_encoder(plain, 0)))


def reference_text(value: Any) -> Encoded:
    """The rules as written, for any value (`canonical_text` uses it where its fast path
    cannot be sure; tests compare the two)."""
    parts: list[str] = []
    _encode(value, parts)
    return Encoded("".join(parts))


class _NotPlain(Exception):
    """The value needs the reference encoder."""


_EXACT_INTEGRAL = float(2**53)
"""Integral doubles up to here print as the same digits in ECMAScript and as Python ints
(above it, ECMAScript rounds to the shortest digits and pads with zeros)."""


def _plain(value: Any) -> Any:
    """`value` with integral floats as ints, if Python's C encoder then writes exactly
    the canonical form; raises `_NotPlain` otherwise."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return value
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str or not key.isascii():  # UTF-16 order = ASCII order
                raise _NotPlain
            out[key] = _plain(item)
        return out
    if kind is list or kind is tuple:
        return [_plain(item) for item in value]
    if kind is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
        raise _NotPlain
    if kind is float:
        if value.is_integer() and -_EXACT_INTEGRAL <= value <= _EXACT_INTEGRAL:
            return int(value)
        # Shortest digits in fixed notation in both languages: repr writes an exponent
        # below 1e-4 or from 1e16 on, ECMAScript below 1e-6 or from 1e21 on.
        if 1e-4 <= abs(value) < 1e16 and not value.is_integer():
            return value
    raise _NotPlain


def _make_fast_encoder() -> Any:
    maker = getattr(json.encoder, "c_make_encoder", None)
    if maker is None:  # no C accelerator (another Python): json's own encoder, same text
        encoder = json.JSONEncoder(
            ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
        )
        return lambda value, _level: [encoder.encode(value)]
    # markers, default, string escaper, indent, separators, sort_keys, skipkeys, allow_nan
    return maker(None, None, _string, None, ":", ",", True, False, False)


_fast_encoder = _make_fast_encoder()


def parse_canonical(data: bytes) -> Any:
    """Decode `data` and insist it is already canonical (re-encoding gives the same bytes).

    Duplicate member names are refused too: two readers could keep different ones.
    """
    value = _fast_canonical(data)
    if value is not _UNDECIDED:
        return value
    try:
        value = json.loads(
            data.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_int=_integer
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise EventFormatError(f"not JSON: {exc}") from exc
    if canonical_json(value) != data:
        raise EventFormatError("not in canonical form (RFC 8785)")
    return value


_UNDECIDED = object()


class _Unsure(Exception):
    """A number whose canonical form Python's own encoder does not write."""


def _plain_float(text: str) -> float:
    value = float(text)
    # Python writes these unlike RFC 8785 (1e-05, 1e+16, 1520.0, 0.0, -0.0): leave them to
    # the full check. Every other float Python writes exactly as ECMAScript does.
    if "e" in text or "E" in text or value.is_integer():
        raise _Unsure
    return value


_ENCODER = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
)


def _plain_integer(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_SAFE_INTEGER:
        raise _Unsure  # the full check reads it as a float, or refuses it
    return value


_DECODER = json.JSONDecoder(parse_float=_plain_float, parse_int=_plain_integer)
_BEYOND_BMP = re.compile(rb"[\xf0-\xff]")
"""A byte that starts a 4-byte UTF-8 sequence (a character beyond U+FFFF), or no UTF-8."""


def canonical_value(data: bytes) -> Any:
    """The value of `data` if it is canonical JSON that the short way (`_fast_canonical`)
    can vouch for; None else (then ask `parse_canonical`, which decides and names faults).
    """
    value = _fast_canonical(data)
    return None if value is _UNDECIDED else value


def _fast_canonical(data: bytes) -> Any:
    """The value of `data` if C code can tell that it is canonical; `_UNDECIDED` else.

    Python's C JSON encoder (sorted keys, no spaces, no ASCII escaping) writes RFC 8785
    exactly, except for numbers it spells otherwise (refused by the hooks: some floats,
    integers beyond ±(2**53 − 1)) and members whose names hold characters beyond U+FFFF
    (sorted by code point, not UTF-16 unit: no 4-byte UTF-8 sequence is let through).
    Re-encoding and comparing then tells a canonical line in one C pass each way, and
    any difference (spacing, escapes, duplicate members, order) sends the line to the
    full check, which names the fault.
    """
    if not data.isascii() and _BEYOND_BMP.search(data):
        return _UNDECIDED
    try:
        value = _DECODER.decode(data.decode("utf-8"))
        again = _ENCODER.encode(value).encode("utf-8")
    except (_Unsure, ValueError, TypeError, UnicodeError, RecursionError):
        return _UNDECIDED
    return value if again == data else _UNDECIDED


def _integer(text: str) -> int | float:
    # A float ≥ 2**53 with no fraction is written without a point; read it back as one.
    value = int(text)
    return value if abs(value) <= MAX_SAFE_INTEGER else float(value)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate member {key!r}")
        result[key] = value
    return result


def _encode(value: Any, out: list[str]) -> None:
    kind = type(value)
    if kind is str:  # the common cases first, by exact type
        out.append(_string(value))
    elif kind is Encoded:
        out.append(value)
    elif kind is dict:
        _encode_object(value, out)
    elif kind is list or kind is tuple:
        _encode_array(value, out)
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise EventFormatError(f"integer {value} is outside ±(2**53 − 1) (I-JSON)")
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append(format_number(value))
    elif isinstance(value, str):
        out.append(_string(str(value)))
    elif isinstance(value, Mapping):
        _encode_object(value, out)
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        _encode_array(value, out)
    else:
        raise EventFormatError(f"{type(value).__name__} is not a JSON value")


def _encode_object(value: Mapping[Any, Any], out: list[str]) -> None:
    keys = list(value)
    for key in keys:
        if type(key) is not str:
            raise EventFormatError(f"object member name {key!r} is not a string")
    if all(key.isascii() for key in keys):
        keys.sort()  # ASCII: code points and UTF-16 units agree
    else:
        keys.sort(key=_utf16)
    out.append("{")
    for position, key in enumerate(keys):
        if position:
            out.append(",")
        out.append(_string(key))
        out.append(":")
        _encode(value[key], out)
    out.append("}")


def _encode_array(value: Sequence[Any], out: list[str]) -> None:
    out.append("[")
    for position, item in enumerate(value):
        if position:
            out.append(",")
        _encode(item, out)
    out.append("]")


def _utf16(key: str) -> bytes:
    # Big-endian UTF-16 bytes compare exactly as the RFC's UTF-16 code units do.
    return key.encode("utf-16-be", "surrogatepass")


def format_number(x: float) -> str:
    """ECMAScript's shortest round-trip form of a finite double (RFC 8785 section 3.2.2.3).

    >>> [format_number(x) for x in (4.50, 2e-3, 1e-7, 1e30, 123456789012345680000.0)]
    ['4.5', '0.002', '1e-7', '1e+30', '123456789012345680000']
    """
    if math.isnan(x) or math.isinf(x):
        raise EventFormatError(f"{x} is not a JSON number")
    if x == 0:
        return "0"  # also -0.0
    if x < 0:
        return "-" + format_number(-x)
    mantissa, _, exponent = repr(x).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    scale = int(exponent or 0) - len(fraction)  # value = int(digits) × 10**scale
    stripped = digits.rstrip("0")
    scale += len(digits) - len(stripped)
    digits = stripped
    k = len(digits)
    n = k + scale  # value = 0.digits × 10**n
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    head = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{head}e{sign}{abs(e)}"

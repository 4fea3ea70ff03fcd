"""What a model file must be before dmde builds a model from it: the guarded reader.

A model file decides who is checked, so :func:`~dmde.model.model_file.load_model` trusts nothing
in it. :func:`read_model_json` reads the bytes: a regular file only (never a FIFO, a device such as
``/dev/zero`` or a directory), at most :data:`MAX_MODEL_BYTES`, in UTF-8, nested at most
:data:`MAX_NESTING` levels deep (measured before parsing, so no input reaches Python's recursion
limit), with no key repeated in an object. :func:`check_document` then checks every field: its
type (``format_version`` is an integer, not ``1.0`` or ``true``; a boolean is never a number),
finite numbers only, points within :data:`MAX_POINTS`, no field missing or unknown.
:func:`check_points` re-derives what follows from the training counts and the regression: each
bin's weight of evidence from its weighted counts and events, each confidence interval from its
coefficient and standard error, and every published point from the coefficients, the weights of
evidence and the scaling, within the rounding the writer applies. An edited points list is
refused as inconsistent even if its content hash was recomputed. A shrunk model
(``params.shrinkage``, written only when it is below 1) holds its shrunk coefficients, those its
points follow from: the same checks apply to it.

Every refusal is a :class:`ModelFileError` naming the field (``segments.prefilled.variables.
n_children.points[3]``) and what was expected; :func:`~dmde.model.model_file.read_model_file`
adds the file's path.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from dmde.core.errors import DmdeError
from dmde.model.bins import woe_values

__all__ = [
    "MAX_MODEL_BYTES",
    "MAX_NESTING",
    "MAX_POINTS",
    "ModelFileError",
    "check_document",
    "check_points",
    "parse_model_json",
    "read_model_bytes",
    "read_model_json",
]

#: The largest model file dmde reads (64 MiB; a model of 100 segments is about 1 MiB).
MAX_MODEL_BYTES = 64 * 1024 * 1024
#: The deepest nesting of objects and lists a model file may have (a genuine one has 7 levels).
MAX_NESTING = 32
#: The largest magnitude of a published point (intercept, bin or reference points).
MAX_POINTS = 1e6

_KEYS = ("format", "format_version", "dmde_version", "policy", "features", "scaling")
_TOP = (*_KEYS, "routing", "segments", "training", "sha256")
_POLICY = ("name", "allowed_families", "removed_columns", "excluded_families", "features")
_SCALING = ("base_points", "base_odds", "pdo", "decimals")
_SEGMENT = ("features", "params", "classes", "intercept", "intercept_points", "coefficients")
_SEGMENT_KEYS = (*_SEGMENT, "variables", "training")
_PARAMS = ("max_prebins", "min_bin_share", "monotonic_trend", "rare_level_share", "C", "max_iter")
_COEFFICIENT = ("term", "coefficient", "std_error", "ci_low", "ci_high")
_VARIABLE = ("name", "label", "binning", "bin_labels", "points", "reference_points")
_BINNING = ("name", "kind", "edges", "integer_valued", "groups", "default_bin", "woe")
_BINNING_KEYS = (*_BINNING, "count", "events")
_SEGMENT_TRAINING = ("rows", "events", "weighted_base_rate", "sum_of_weights")
_TRAINING = ("rows", "sum_of_weights", "weighted_base_rate")
_TRAINING_TEXT = ("target", "date", "data_file", "data_sha256")
_TRAINING_NUMBERS = ("auc_train", "auc_cv")
_CHUNK = 1 << 20
#: :data:`dmde.core.stats.Z95` (``scipy.special.ndtri(0.975)``), written out so that checking a
#: model file, as ``dmde score`` does, does not import scipy (a test checks they are equal).
_Z95 = 1.959963984540054
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ModelFileError(DmdeError, ValueError):
    """A model file that dmde refuses to load or save."""


# ------------------------------------------------------------------------------------ reading
def read_model_json(path: str | os.PathLike[str]) -> Any:
    """The parsed JSON of a model file, read under the limits of this module.

    Raises
    ------
    ModelFileError
        The path is not a regular file, the file is larger than :data:`MAX_MODEL_BYTES`, not
        UTF-8, not JSON, nested deeper than :data:`MAX_NESTING`, or repeats a key in an object.

    Examples
    --------
    >>> read_model_json("/dev/null")
    Traceback (most recent call last):
    ...
    dmde.model.model_file_checks.ModelFileError: cannot read model file '/dev/null': it is a ...
    """
    return parse_model_json(read_model_bytes(path), os.fspath(path))


def read_model_bytes(
    path: str | os.PathLike[str],
    *,
    what: str = "model file",
    limit: int | None = None,
    fix: str = "Give the path of the JSON file 'dmde train' wrote.",
) -> bytes:
    """The bytes of a file, read once: a regular file only, at most ``limit`` bytes
    (default :data:`MAX_MODEL_BYTES`).

    The model file's reader; the signature and key files of :mod:`dmde.model.signature_file`
    are read the same way with their own ``what``, ``limit`` and ``fix`` (what to do, said
    after the reason).

    Raises
    ------
    ModelFileError
        No such file, not a regular file (a FIFO is refused without waiting for a writer), or
        larger than ``limit`` (checked before reading and while reading).
    """
    shown = os.fspath(path)
    limit = MAX_MODEL_BYTES if limit is None else limit
    # O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer; fstat then
    # refuses it before a single byte is read.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ModelFileError(f"cannot read {what} {shown!r}: no such file.") from None
    except OSError as exc:
        raise ModelFileError(f"cannot read {what} {shown!r}: {exc.strerror}.") from None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise ModelFileError(
                f"cannot read {what} {shown!r}: it is {_kind(status.st_mode)}, not a regular "
                f"file. {fix}"
            )
        if status.st_size > limit:
            raise ModelFileError(_too_large(shown, f"{status.st_size:,} bytes", what, limit, fix))
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read(limit + 1)  # + 1: a file that grew since fstat is seen
    finally:
        os.close(fd)
    if len(raw) > limit:
        raise ModelFileError(_too_large(shown, "more than that", what, limit, fix))
    return raw


def parse_model_json(
    raw: bytes,
    shown: str,
    *,
    what: str = "model file",
    fix: str = "Use the file as saved by 'dmde train'.",
) -> Any:
    """The JSON of bytes read by :func:`read_model_bytes`: UTF-8, nested at most
    :data:`MAX_NESTING` levels, no key repeated in an object.

    ``shown`` is the file's name in messages; ``what`` the kind of file it should be (a dmde
    ``what``) and ``fix`` what to do about a repeated key.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFileError(
            f"{shown}: not a dmde {what}: the byte at offset {exc.start} is not UTF-8 text."
        ) from None
    depth = nesting_depth(text)
    if depth > MAX_NESTING:
        raise ModelFileError(
            f"{shown}: not a dmde {what}: objects and lists are nested {depth} levels deep; "
            f"a {what} has at most {MAX_NESTING}."
        )
    try:
        document = json.loads(text, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{shown}: not a dmde {what}: invalid JSON at line {exc.lineno}, column "
            f"{exc.colno} ({exc.msg})."
        ) from None
    except RecursionError:  # pragma: no cover - the nesting limit is far below the recursion one
        raise ModelFileError(f"{shown}: not a dmde {what}: nested too deep.") from None
    repeated = _first_repeated_key(document)
    if repeated is not None:
        where, key = repeated
        raise ModelFileError(
            f"{shown}: field {_join(where, key)} appears twice in the same object: a {what} "
            f"names each field once (a reader could take either value). {fix}"
        )
    return document


def _too_large(shown: str, size: str, what: str, limit: int, fix: str) -> str:
    unit = f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit // 2**10} KiB"
    return (
        f"cannot read {what} {shown!r}: it holds {size}; a {what} has at most "
        f"{limit:,} bytes ({unit}). {fix}"
    )


def _kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def nesting_depth(text: str) -> int:
    """The deepest nesting of objects and lists in JSON ``text``, without parsing it.

    Strings are set aside first (a bracket in a label does not count). Counted in chunks with
    numpy, so a file of millions of brackets is measured in a fraction of a second.

    Examples
    --------
    >>> nesting_depth('{"a": [[1], "[[["], "b": {}}')
    3
    """
    raw = np.frombuffer(_STRING.sub("", text).encode("utf-8"), dtype=np.uint8)
    depth = peak = 0
    for start in range(0, len(raw), _CHUNK):
        part = raw[start : start + _CHUNK]
        opens = (part == ord("[")) | (part == ord("{"))
        closes = (part == ord("]")) | (part == ord("}"))
        running = depth + np.cumsum(opens.astype(np.int64) - closes.astype(np.int64))
        if running.size:
            peak = max(peak, int(running.max()))
            depth = int(running[-1])
    return peak


class _Repeated(dict[str, Any]):
    """A JSON object in which a key appeared more than once (``repeated`` names it)."""

    repeated: str


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out and not isinstance(out, _Repeated):
            out = _Repeated(out)
            out.repeated = key
        out[key] = value
    return out


def _first_repeated_key(document: Any) -> tuple[str, str] | None:
    """(path of the object, key) of the first repeated key, in file order; iterative."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, _Repeated):
            return where, value.repeated
        if isinstance(value, dict):
            stack.extend(reversed([(_join(where, k), v) for k, v in value.items()]))
        elif isinstance(value, list):
            stack.extend(reversed([(f"{where}{_item(v, i)}", v) for i, v in enumerate(value)]))
    return None


# ------------------------------------------------------------------------------ field checks
def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if value is None:
        return "null"
    kinds = {int: "an integer", float: "a number", str: "text"}
    kind = kinds.get(type(value), type(value).__name__)
    text = json.dumps(value, ensure_ascii=False)
    return f"{text[:60]}{'...' if len(text) > 60 else ''} ({kind})"


def _fail(where: str, expected: str, value: Any) -> ModelFileError:
    return ModelFileError(f"field {where}: expected {expected}; got {_shown(value)}.")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _int(value: Any, where: str, *, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise _fail(where, f"an integer of at least {minimum}", value)
    return value


def _number(value: Any, where: str, *, bound: float | None = None) -> float:
    if not _is_number(value) or not math.isfinite(value):
        raise _fail(where, "a finite number", value)
    if bound is not None and abs(value) > bound:
        raise _fail(where, f"a number from {-bound:g} to {bound:g}", value)
    return float(value)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _fail(where, "text", value)
    return value


def _list(value: Any, where: str, item: Callable[[Any, str], Any]) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, "a list", value)
    return [item(v, f"{where}[{i}]") for i, v in enumerate(value)]


def _numbers(value: Any, where: str, *, bound: float | None = None) -> list[float]:
    return _list(value, where, lambda v, w: _number(v, w, bound=bound))


def _texts(value: Any, where: str, *, distinct: bool = False) -> list[str]:
    texts = _list(value, where, _text)
    if distinct and len(set(texts)) != len(texts):
        twice = next(t for i, t in enumerate(texts) if t in texts[:i])
        raise ModelFileError(f"field {where}: expected distinct names; {twice!r} appears twice.")
    return texts


def _fields(
    value: Any,
    where: str,
    keys: tuple[str, ...],
    *,
    extra: bool = False,
    optional: tuple[str, ...] = (),
) -> Mapping[str, Any]:
    """An object with exactly ``keys``, and perhaps some of ``optional`` (others allowed if
    ``extra``)."""
    if not isinstance(value, dict):
        raise _fail(where or "(the file)", "an object", value)
    for key in keys:
        if key not in value:
            raise ModelFileError(f"field {_join(where, key)} is missing.")
    unknown = [k for k in value if k not in keys and k not in optional]
    if unknown and not extra:
        raise ModelFileError(
            f"field {_join(where, unknown[0])} is not a field of a dmde model file "
            f"(expected {', '.join((*keys, *optional))})."
        )
    return value


def check_document(document: Any) -> None:
    """Check the type of every field of a model file's content (see the module docstring).

    Format and version are checked first, so a file of another format or version is refused as
    such rather than for its fields.

    Raises
    ------
    ModelFileError
        Naming the first field that is missing, unknown, of the wrong type or out of range.
    """
    doc = _fields(document, "", _TOP, optional=("periods",))  # checked by dmde.model.periods
    for key in ("format", "dmde_version", "sha256"):
        _text(doc[key], key)
    _int(doc["format_version"], "format_version", minimum=1)
    if not _SHA256.match(doc["sha256"]):
        raise _fail("sha256", "64 lowercase hexadecimal digits", doc["sha256"])
    policy = _fields(doc["policy"], "policy", _POLICY)
    _text(policy["name"], "policy.name")
    for key in ("allowed_families", "removed_columns", "features"):
        _texts(policy[key], f"policy.{key}", distinct=True)
    excluded = _fields(policy["excluded_families"], "policy.excluded_families", (), extra=True)
    for family, reason in excluded.items():
        _text(reason, f"policy.excluded_families.{family}")
    _texts(doc["features"], "features", distinct=True)
    scaling = _fields(doc["scaling"], "scaling", _SCALING)
    for key in ("base_points", "base_odds", "pdo"):
        _number(scaling[key], f"scaling.{key}", bound=MAX_POINTS)
    _int(scaling["decimals"], "scaling.decimals")
    routing = _fields(doc["routing"], "routing", ("column", "segments"))
    if routing["column"] is not None:
        _text(routing["column"], "routing.column")
    _texts(routing["segments"], "routing.segments", distinct=True)
    segments = _fields(doc["segments"], "segments", (), extra=True)
    for name, segment in segments.items():
        _check_segment(segment, f"segments.{name}")
    training = _fields(doc["training"], "training", _TRAINING, extra=True)
    _check_training(training)


def _check_segment(value: Any, where: str) -> None:
    segment = _fields(value, where, _SEGMENT_KEYS)
    _texts(segment["features"], f"{where}.features", distinct=True)
    params = _fields(segment["params"], f"{where}.params", _PARAMS, optional=("shrinkage",))
    for key in ("max_prebins", "max_iter"):
        _int(params[key], f"{where}.params.{key}", minimum=1)
    for key in ("min_bin_share", "rare_level_share", "C"):
        _number(params[key], f"{where}.params.{key}")
    if "shrinkage" in params:
        shrinkage = _number(params["shrinkage"], f"{where}.params.shrinkage")
        if not 0.0 < shrinkage < 1.0:  # 1 is not written: an unshrunk model has no field
            raise _fail(f"{where}.params.shrinkage", "a number above 0 and below 1", shrinkage)
    _text(params["monotonic_trend"], f"{where}.params.monotonic_trend")
    classes = segment["classes"]
    if not isinstance(classes, list) or len(classes) != 2:
        raise _fail(f"{where}.classes", "a list of the target's two classes", classes)
    for i, cls in enumerate(classes):
        if not isinstance(cls, str):
            _number(cls, f"{where}.classes[{i}]")
    _number(segment["intercept"], f"{where}.intercept")
    _number(segment["intercept_points"], f"{where}.intercept_points", bound=MAX_POINTS)
    coefficients = segment["coefficients"]
    if not isinstance(coefficients, list):
        raise _fail(f"{where}.coefficients", "a list", coefficients)
    for i, row in enumerate(coefficients):
        here = f"{where}.coefficients{_name_of(row, 'term', i)}"
        row = _fields(row, here, _COEFFICIENT)
        _text(row["term"], f"{here}.term")
        for key in _COEFFICIENT[1:]:
            _number(row[key], f"{here}.{key}")
    variables = segment["variables"]
    if not isinstance(variables, list):
        raise _fail(f"{where}.variables", "a list", variables)
    for i, variable in enumerate(variables):
        _check_variable(variable, f"{where}.variables{_name_of(variable, 'name', i)}")
    stats = _fields(segment["training"], f"{where}.training", _SEGMENT_TRAINING)
    _int(stats["rows"], f"{where}.training.rows")
    _int(stats["events"], f"{where}.training.events")
    _number(stats["weighted_base_rate"], f"{where}.training.weighted_base_rate")
    _number(stats["sum_of_weights"], f"{where}.training.sum_of_weights")


def _item(value: Any, index: int) -> str:
    """How a list item appears in a field's path: by its name or term, else by its index."""
    key = "term" if isinstance(value, dict) and "term" in value else "name"
    return _name_of(value, key, index)


def _name_of(row: Any, key: str, index: int) -> str:
    """``.name`` for a record whose ``key`` is a plain name, else ``[index]``."""
    name = row.get(key) if isinstance(row, dict) else None
    if isinstance(name, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return f".{name}"
    return f"[{index}]"


def _check_variable(value: Any, where: str) -> None:
    variable = _fields(value, where, _VARIABLE)
    _text(variable["name"], f"{where}.name")
    _text(variable["label"], f"{where}.label")
    _texts(variable["bin_labels"], f"{where}.bin_labels")
    _numbers(variable["points"], f"{where}.points", bound=MAX_POINTS)
    _number(variable["reference_points"], f"{where}.reference_points", bound=MAX_POINTS)
    here = f"{where}.binning"
    binning = _fields(variable["binning"], here, _BINNING_KEYS)
    _text(binning["name"], f"{here}.name")
    _text(binning["kind"], f"{here}.kind")
    if not isinstance(binning["integer_valued"], bool):
        raise _fail(f"{here}.integer_valued", "true or false", binning["integer_valued"])
    _int(binning["default_bin"], f"{here}.default_bin")
    _list(binning["groups"], f"{here}.groups", _texts)
    for key in ("edges", "woe", "count", "events"):
        _numbers(binning[key], f"{here}.{key}")


def _check_training(training: Mapping[str, Any]) -> None:
    _int(training["rows"], "training.rows")
    _number(training["sum_of_weights"], "training.sum_of_weights")
    _number(training["weighted_base_rate"], "training.weighted_base_rate")
    for key, value in training.items():
        where = f"training.{key}"
        if value is None and key not in _TRAINING:
            continue
        if key in _TRAINING_TEXT:
            _text(value, where)
        elif key in _TRAINING_NUMBERS:
            _number(value, where)
        elif isinstance(value, dict | list):
            raise _fail(where, "text, a number, true, false or null", value)
        elif _is_number(value):
            _number(value, where)


# ------------------------------------------------------------------------- re-derived points
def check_points(document: Mapping[str, Any]) -> None:
    """Re-derive each segment's weights of evidence, intervals and points and compare.

    ``document`` has passed :func:`check_document`. A bin's weight of evidence must be the one its
    weighted count and events give (to 1e-9); a coefficient's interval its coefficient plus or
    minus 1.96 standard errors; the intercept's points ``offset + factor * intercept`` and a bin's
    points ``factor * coefficient * woe``, each within half a unit of the last published decimal
    (the writer rounds them to ``scaling.decimals``); the reference points of a feature (the
    weighted mean of its points in training) between its smallest and largest points.

    Raises
    ------
    ModelFileError
        Naming the first field that does not follow from the others.
    """
    scaling = document["scaling"]
    factor = scaling["pdo"] / math.log(2)
    offset = scaling["base_points"] - factor * math.log(scaling["base_odds"])
    rounding = 0.5 * 10.0 ** -scaling["decimals"]
    for name, segment in document["segments"].items():
        where = f"segments.{name}"
        coefficients = segment["coefficients"]
        for i, row in enumerate(coefficients):
            here = f"{where}.coefficients{_name_of(row, 'term', i)}"
            for key, sign in (("ci_low", -1.0), ("ci_high", 1.0)):
                expected = row["coefficient"] + sign * _Z95 * row["std_error"]
                _same(row[key], expected, f"{here}.{key}", 1e-9, "coefficient ± 1.96 std_error")
        if coefficients and coefficients[0]["term"] == "intercept":
            _same(
                coefficients[0]["coefficient"],
                segment["intercept"],
                f"{where}.coefficients.intercept.coefficient",
                0.0,
                "the segment's intercept",
            )
        _same(
            segment["intercept_points"],
            offset + factor * segment["intercept"],
            f"{where}.intercept_points",
            rounding,
            "offset + factor * intercept of the scaling",
        )
        slopes = {row["term"]: row["coefficient"] for row in coefficients[1:]}
        for i, variable in enumerate(segment["variables"]):
            here = f"{where}.variables{_name_of(variable, 'name', i)}"
            _check_variable_points(variable, slopes, factor, rounding, here)


def _check_variable_points(
    variable: Mapping[str, Any],
    slopes: Mapping[str, float],
    factor: float,
    rounding: float,
    where: str,
) -> None:
    binning = variable["binning"]
    count, events, woe = binning["count"], binning["events"], binning["woe"]
    if len(count) != len(woe) or len(events) != len(woe):
        return  # the binning's own check names the lengths
    if any(c < 0 or e < 0 or e > c * (1 + 1e-9) for c, e in zip(count, events, strict=True)):
        return  # the binning's own check refuses these counts
    for b, expected in enumerate(woe_values(count, events)):
        rule = "the WoE of its count and events"
        _same(woe[b], expected, f"{where}.binning.woe[{b}]", 1e-9, rule)
    slope = slopes.get(variable["name"])
    points = variable["points"]
    if slope is None or len(points) != len(woe):
        return  # the structure checks name the mismatch
    for b, w in enumerate(woe):
        rule = "factor * coefficient * woe"
        _same(points[b], factor * slope * w, f"{where}.points[{b}]", rounding, rule)
    low, high = min(points, default=0.0), max(points, default=0.0)
    reference = variable["reference_points"]
    if not low - rounding <= reference <= high + rounding:
        raise ModelFileError(
            f"field {where}.reference_points: expected a weighted mean of the feature's points "
            f"(from {low:g} to {high:g}); got {reference!r}. The file is inconsistent: it was "
            "edited. Use the file as saved by 'dmde train', or retrain."
        )


def _same(stored: float, expected: float, where: str, tolerance: float, rule: str) -> None:
    slack = tolerance + 1e-9 * max(1.0, abs(expected))
    if not abs(stored - expected) <= slack:  # also refuses an expected value that overflowed
        raise ModelFileError(
            f"field {where}: expected {expected:.6g} ({rule}); got {stored!r}. The file is "
            "inconsistent: it was edited. Use the file as saved by 'dmde train', or retrain."
        )

"""The installed package holds every subpackage (a non-editable install must import them all)."""

from __future__ import annotations

import inspect
import json
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_packaged() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    assert "dmde.*" in include, "subpackages of dmde must be included in the wheel"
    subpackages = [p.parent for p in (ROOT / "dmde").rglob("__init__.py")]
    assert ROOT / "dmde" / "audit" in subpackages


# --------------------------------------------------------------------------------------------
# The public API is pinned: every name of `dmde.__all__` and the parameters of each callable
# (name, kind, default). A change must be deliberate: regenerate with
#   python -c "import json, tests.test_packaging as t; print(json.dumps(t.public_api(), indent=1))"
# and say it in the change log.
PINNED = Path(__file__).resolve().parent / "fixtures" / "public_api.json"


def _default(value: object) -> str | None:
    if value is inspect.Parameter.empty:
        return None
    if callable(value):
        return f"<callable {getattr(value, '__name__', type(value).__name__)}>"
    if isinstance(value, set | frozenset):  # an order that does not depend on the hash seed
        return f"{type(value).__name__}({sorted(map(repr, value))})"
    return repr(value)


def public_api() -> dict[str, dict[str, object]]:
    import dmde

    api: dict[str, dict[str, object]] = {}
    for name in sorted(dmde.__all__):
        obj = getattr(dmde, name)
        entry: dict[str, object] = {"kind": "class" if inspect.isclass(obj) else type(obj).__name__}
        target = obj.__init__ if inspect.isclass(obj) else obj
        if callable(target) and not isinstance(obj, dict | str):
            parameters = inspect.signature(target).parameters.values()
            entry["parameters"] = [[p.name, p.kind.name, _default(p.default)] for p in parameters]
        api[name] = entry
    return api


def test_the_public_api_is_pinned() -> None:
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    assert public_api() == pinned

"""The notebooks in ``notebooks/``: stored without outputs, public API only, and they run.

Each notebook is executed from top to bottom with nbclient in a fresh ``python3`` kernel (the
interpreter running the tests: jupyter_client starts the kernel spec named ``python3`` with
``sys.executable``, and falls back to ipykernel's own spec when none is installed), in a
temporary working directory. A failing cell fails the test with the cell's source and error; a
cell that prints a Python warning fails it too.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import types
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
IDS = [path.stem for path in NOTEBOOKS]
EXPECTED = (
    "01-synthetic-world",
    "02-training-the-scorecard",
    "03-ranking-and-selection",
    "04-fairness-audit",
    "05-explain-and-compare",
    "06-without-the-policy",
    "07-a-year-in-production",
    "08-why-control-history-is-left-out",
    "09-rights-outreach",
    "10-comparing-models",
)
KERNEL = "python3"
CELL_TIMEOUT = 300  # seconds per cell: generous, the machine may be loaded
WARNING = re.compile(r"\b\w*Warning: ")


def _read(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    return notebook


def _code(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_the_notebooks_are_there() -> None:
    assert tuple(path.stem for path in NOTEBOOKS) == EXPECTED
    index = (NOTEBOOK_DIR / "README.md").read_text(encoding="utf-8")
    missing = [name for name in EXPECTED if f"{name}.ipynb" not in index]
    assert not missing, f"notebooks/README.md does not list {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    notebook = _read(path)
    dirty = [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} hold outputs or execution counts; clear them before "
        "committing (e.g. jupyter nbconvert --clear-output --inplace)"
    )
    assert notebook.metadata.get("kernelspec", {}).get("name") == KERNEL


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_opens_with_what_it_teaches(path: Path) -> None:
    first = _read(path).cells[0]
    assert first.cell_type == "markdown"
    assert "**What this notebook teaches.**" in first.source
    assert "**For whom.**" in first.source
    parameters = _code(_read(path))[0].source
    assert re.search(r"^ROWS = ", parameters, re.M), "the first code cell sets ROWS"
    assert re.search(r"^SEED = ", parameters, re.M), "the first code cell sets SEED"


def _public(module: types.ModuleType, name: str) -> bool:
    """Whether ``module.name`` is public: listed in ``__all__``, or a public submodule."""
    if name in getattr(module, "__all__", ()):
        return True
    if not name.startswith("_") and hasattr(module, "__path__"):
        return name in {m.name for m in pkgutil.iter_modules(module.__path__)}
    return False


def _private_uses(source: str) -> list[str]:
    """Names of dmde reached in ``source`` that are not public (see :func:`_public`)."""
    tree = ast.parse(source)
    aliases: dict[str, types.ModuleType] = {}
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "dmde":
                    importlib.import_module(alias.name)
                    top = alias.asname or alias.name.split(".")[0]
                    target = alias.name if alias.asname else "dmde"
                    aliases[top] = importlib.import_module(target)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "dmde":
            module = importlib.import_module(str(node.module))
            for alias in node.names:
                if not _public(module, alias.name):
                    found.append(f"{node.module}.{alias.name}")
                    continue
                value = getattr(module, alias.name, None)
                if value is None:
                    value = importlib.import_module(f"{node.module}.{alias.name}")
                if isinstance(value, types.ModuleType):
                    aliases[alias.asname or alias.name] = value
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        chain: list[str] = []
        current: ast.AST = node
        while isinstance(current, ast.Attribute):
            chain.insert(0, current.attr)
            current = current.value
        if not isinstance(current, ast.Name) or current.id not in aliases:
            continue
        module: object = aliases[current.id]
        for attribute in chain:
            if not isinstance(module, types.ModuleType):
                break
            if not _public(module, attribute):
                found.append(f"{module.__name__}.{attribute}")
                break
            module = getattr(module, attribute)
    return sorted(set(found))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import dmde\ndmde.synthesize(10)", []),
        ("from dmde.audit import plots\nplots.plot_group_metric", []),
        ("from dmde.model.scorecard import _label", ["dmde.model.scorecard._label"]),
        (
            "import dmde.data.synthetic\ndmde.data.synthetic._people",
            ["dmde.data.synthetic._people"],
        ),
        (
            "import dmde.audit\ndmde.audit.metrics.hanley_mcneil_se",
            ["dmde.audit.metrics.hanley_mcneil_se"],
        ),
    ],
    ids=["top-level", "submodule-alias", "private-import", "private-attribute", "not-in-all"],
)
def test_private_uses_are_found(source: str, expected: list[str]) -> None:
    assert _private_uses(source) == expected


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_uses_only_the_public_api(path: Path) -> None:
    source = "\n".join(cell.source for cell in _code(_read(path)))
    assert _private_uses(source) == []


def _execute(notebook: nbformat.NotebookNode, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every cell in a fresh kernel working in ``cwd``; the first failing cell raises."""
    # One BLAS/OpenMP thread in the kernel: on a loaded 2-core machine, threaded BLAS in the
    # many small logistic regressions of the audit runs ten times slower, not faster.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(name, "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()


def _warnings(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(cell id, first line) of every Python warning a cell printed (to stderr)."""
    return [
        (str(cell.get("id")), output.text.strip().splitlines()[0])
        for cell in _code(notebook)
        for output in cell.get("outputs", [])
        if output.output_type == "stream"
        and output.name == "stderr"
        and WARNING.search(output.text)
    ]


def test_warnings_are_found() -> None:
    notebook = nbformat.v4.new_notebook()
    quiet, noisy = nbformat.v4.new_code_cell("1"), nbformat.v4.new_code_cell("2")
    quiet.outputs = [nbformat.v4.new_output("stream", name="stderr", text="building cache\n")]
    noisy.outputs = [
        nbformat.v4.new_output(
            "stream", name="stderr", text="<ipython>:3: FutureWarning: a change\n  x = 1\n"
        )
    ]
    notebook.cells = [quiet, noisy]
    assert _warnings(notebook) == [(noisy.id, "<ipython>:3: FutureWarning: a change")]


@pytest.mark.slow
def test_a_failing_cell_fails_with_its_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("x / 0")]
    with pytest.raises(CellExecutionError, match=r"(?s)x / 0.*ZeroDivisionError"):
        _execute(notebook, tmp_path, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = _read(path)
    _execute(notebook, tmp_path, monkeypatch)
    warned = _warnings(notebook)
    assert not warned, f"{path.name}: cells printed warnings: {warned}"
    assert list(tmp_path.iterdir()) == [], "a notebook left files in its working directory"

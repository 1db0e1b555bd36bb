"""Every exception the product raises is in the one error tree of ``monitor/errors.py``.

The test reads every ``.py`` of ``monitor/``, ``classifiers/``, ``playbooks/`` and ``dashboard/`` (the
migrations aside) with ``ast``, resolves the class of each ``raise`` (it imports the module and looks the
name up: a class, a function or method by its return annotation, a parameter by its ``Callable[..., X]``
annotation, a local name by what it was assigned) and fails naming file:line for a class outside the tree
and outside ``ALLOWED``. A re-raise (``raise``, ``raise exc`` of an ``except ... as exc``) is always fine.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from classifiers.errors import ClassifierError as BaseClassifierError
from monitor.errors import ClassifierError, InputError, MonitorError, PlaybookError

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("monitor", "classifiers", "playbooks", "dashboard")
# classifiers/ is pure and cannot import monitor: its errors derive from classifiers.errors.ClassifierError,
# which monitor.errors.ClassifierError extends; that base is part of the tree.
TREE = (MonitorError, BaseClassifierError)

# Builtins a library's contract requires, by file (or "*" for any file) and class name; each says why.
ALLOWED: dict[tuple[str, str], str] = {
    # argparse: a `type=` function reports a bad value by raising ArgumentTypeError (or ValueError).
    ("monitor/cli/common.py", "ArgumentTypeError"): "argparse type= contract",
    # pydantic: a field validator reports a bad value by raising ValueError (`_duration` is called by the
    # Sla validator; `Playbook.sla_for` calls it again only on values the validator accepted).
    ("playbooks/engine.py", "ValueError"): "pydantic validator contract",
    # json.dumps(default=...): the hook raises TypeError for a value it cannot encode.
    ("monitor/storage/audit.py", "TypeError"): "json.dumps default= contract",
    # The dashboard launcher stops with a message before Streamlit starts: an exit, not an error.
    ("dashboard/serve.py", "SystemExit"): "process exit of the launcher",
    # An abstract method.
    ("*", "NotImplementedError"): "abstract method",
}


def product_files() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                yield path


def _module_of(path: Path) -> ModuleType:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    return importlib.import_module(name)


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _enclosing(node: ast.AST, parents: dict[ast.AST, ast.AST], kinds: tuple[type, ...]) -> list[ast.AST]:
    found = []
    while node in parents:
        node = parents[node]
        if isinstance(node, kinds):
            found.append(node)
    return found


def _annotation_class(annotation: object) -> object:
    """The class an annotation names; for ``Callable[..., X]``, X."""
    if typing.get_origin(annotation) is not None and typing.get_args(annotation):
        return typing.get_args(annotation)[-1]
    return annotation


def _eval(expr: ast.expr, module: ModuleType) -> object:
    return eval(compile(ast.Expression(expr), "<annotation>", "eval"), vars(module))


def _returns(func: object, module: ModuleType) -> object:
    hints = typing.get_type_hints(func, vars(sys.modules.get(getattr(func, "__module__", ""), module)))
    return _annotation_class(hints.get("return"))


class Resolver:
    """What class a ``raise`` in one file raises; ``None`` for a re-raise."""

    def __init__(self, path: Path, module: ModuleType, tree: ast.Module, all_trees: dict[Path, ast.Module]):
        self.path, self.module, self.tree, self.all_trees = path, module, tree, all_trees
        self.parents = _parents(tree)

    def raised(self, node: ast.Raise) -> object:
        exc = node.exc
        assert exc is not None
        if isinstance(exc, ast.Call):
            return self._called(exc.func, node)
        if isinstance(exc, ast.Name):
            for handler in _enclosing(node, self.parents, (ast.ExceptHandler,)):
                if isinstance(handler, ast.ExceptHandler) and handler.name == exc.id:
                    return None  # a re-raise of the caught exception
            for func in _enclosing(node, self.parents, (ast.FunctionDef, ast.AsyncFunctionDef))[:1]:
                for stmt in ast.walk(func):
                    if (
                        isinstance(stmt, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == exc.id for t in stmt.targets)
                        and isinstance(stmt.value, ast.Call)
                    ):
                        return self._called(stmt.value.func, node)
        value = _eval(exc, self.module)
        return value if isinstance(value, type) else type(value)

    def _called(self, func: ast.expr, at: ast.AST) -> object:
        functions = _enclosing(at, self.parents, (ast.FunctionDef, ast.AsyncFunctionDef))
        if isinstance(func, ast.Name):
            for enclosing in functions:
                assert isinstance(enclosing, ast.FunctionDef | ast.AsyncFunctionDef)
                for stmt in ast.walk(enclosing):  # a function defined inside the one that raises
                    if isinstance(stmt, ast.FunctionDef) and stmt.name == func.id and stmt.returns:
                        return _annotation_class(_eval(stmt.returns, self.module))
                args = enclosing.args
                for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                    if arg.arg == func.id and arg.annotation is not None:  # a parameter: Callable[..., X]
                        return _annotation_class(_eval(arg.annotation, self.module))
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            for cls in _enclosing(at, self.parents, (ast.ClassDef,))[:1]:
                assert isinstance(cls, ast.ClassDef)
                return self._of(getattr(getattr(self.module, cls.name), func.attr))
        try:
            return self._of(_eval(func, self.module))
        except NameError:
            pass
        # A method called on some object (`source.client.translate(...)`): every def of that name in the
        # product must return a class of the tree; the first that does not is the answer.
        assert isinstance(func, ast.Attribute), ast.unparse(func)
        answers = [self._of(m) for m in self._methods(func.attr)]
        assert answers, f"no def {func.attr} in the product"
        return next((a for a in answers if not _in_tree(a)), answers[0])

    def _methods(self, name: str) -> Iterator[object]:
        for path, tree in self.all_trees.items():
            for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
                if any(isinstance(f, ast.FunctionDef) and f.name == name for f in cls.body):
                    yield getattr(getattr(_module_of(path), cls.name), name)

    def _of(self, value: object) -> object:
        if isinstance(value, type):
            return value
        if callable(value):
            return _returns(value, self.module)
        return type(value)


def _in_tree(cls: object) -> bool:
    return isinstance(cls, type) and issubclass(cls, TREE)


def problems(paths: list[Path], module_of=_module_of, relative_to: Path = ROOT) -> list[str]:
    """``file:line: raises X, outside the error tree`` for each such raise in ``paths``."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in paths}
    found = []
    for path, tree in trees.items():
        raises = [n for n in ast.walk(tree) if isinstance(n, ast.Raise) and n.exc is not None]
        raises.sort(key=lambda n: n.lineno)
        if not raises:
            continue
        rel = path.relative_to(relative_to).as_posix()
        resolver = Resolver(path, module_of(path), tree, trees)
        for node in raises:
            cls = resolver.raised(node)
            if cls is None or _in_tree(cls):
                continue
            name = getattr(cls, "__name__", repr(cls))
            if (rel, name) in ALLOWED or ("*", name) in ALLOWED:
                continue
            found.append(f"{rel}:{node.lineno}: raises {name}, outside the error tree of monitor/errors.py")
    return found


def test_every_raise_is_in_the_error_tree():
    assert problems(list(product_files())) == []


def test_the_check_catches_a_builtin_error(tmp_path):
    snippet = tmp_path / "snippet_errors.py"
    snippet.write_text(
        "from monitor.errors import InputError\n"
        "def bad(x):\n"
        "    if x:\n"
        "        raise ValueError('not a count')\n"
        "    try:\n"
        "        return int(x)\n"
        "    except TypeError as exc:\n"
        "        raise exc\n"
        "def good():\n"
        "    raise InputError('bad line 3')\n"
        "def made() -> InputError:\n"
        "    return InputError('x')\n"
        "def also_good():\n"
        "    raise made()\n"
        "def made_bad() -> RuntimeError:\n"
        "    return RuntimeError('x')\n"
        "def also_bad():\n"
        "    raise made_bad()\n"
    )
    spec = importlib.util.spec_from_file_location("snippet_errors", snippet)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert problems([snippet], module_of=lambda _path: module, relative_to=tmp_path) == [
        "snippet_errors.py:4: raises ValueError, outside the error tree of monitor/errors.py",
        "snippet_errors.py:18: raises RuntimeError, outside the error tree of monitor/errors.py",
    ]


def test_one_playbook_error_and_classifier_errors_in_the_tree():
    from classifiers.cascades import CascadeError
    from classifiers.convert import ConversionError
    from classifiers.model import ClassifierError as ModelClassifierError
    from classifiers.training import CorpusError
    from monitor.sources.payloads import PayloadError
    from playbooks import engine

    assert engine.PlaybookError is PlaybookError
    assert ModelClassifierError is BaseClassifierError and issubclass(ClassifierError, BaseClassifierError)
    for cls in (CascadeError, ConversionError, CorpusError):
        assert issubclass(cls, BaseClassifierError)
    assert issubclass(PayloadError, InputError)


def test_cli_reports_a_playbook_error_as_a_monitor_error(monkeypatch, capsys):
    from monitor import cli

    def broken(_args):
        raise PlaybookError("rules.yaml:3: rules.0.playbook: unknown playbook 'thnak'")

    parser = cli.build_parser()
    args = parser.parse_args(["settings"])
    monkeypatch.setattr(cli, "build_parser", lambda: _Fixed(args, broken))
    assert cli.main([]) == 2
    assert "repmon: rules.yaml:3" in capsys.readouterr().err


class _Fixed:
    def __init__(self, args, func):
        args.func = func
        self.args = args

    def parse_args(self, _argv):
        return self.args

"""The engine's package boundaries: no module imports a module that imports it
back (directly or around a longer loop, at any depth of the code), and the
dependency direction holds: the integration uses the engine, the importer uses the
engine, the engine uses neither. The engine's distribution asks for no torch."""

import ast
import tomllib
from pathlib import Path

import snipdoc

PACKAGE = Path(snipdoc.__file__).resolve().parent
ROOT = Path(__file__).resolve().parent.parent


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports, anywhere in its code."""
    modules = {_name(p): p for p in PACKAGE.rglob("*.py")}
    edges = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
                for alias in node.names:
                    found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
        edges[name] = {m for m in found if m in modules and m != name and m != "snipdoc"}
    return edges


def _cycle(edges):
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt, path + [nxt])):
                return found
        state[node] = "done"
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_the_graph_is_read_whole():
    edges = graph()
    assert "snipdoc.engine.fresh" in edges["snipdoc.engine.forkserver"]
    assert "snipdoc.engine.core" in edges["snipdoc.integration.plugin"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_module_imports_one_that_imports_it_back():
    assert _cycle(graph()) is None, " -> ".join(_cycle(graph()))


def test_the_engine_uses_neither_the_integration_nor_the_importer():
    for name, uses in graph().items():
        layer = name.split(".")[1] if name.count(".") else ""
        if layer == "engine":
            assert not {u for u in uses if not u.startswith("snipdoc.engine")}, (name, uses)
        if layer in ("integration", "importer"):
            other = "importer" if layer == "integration" else "integration"
            assert not {u for u in uses if u.startswith(f"snipdoc.{other}")}, (name, uses)


def test_the_engine_distribution_asks_for_no_torch_and_pins_nothing():
    project = tomllib.loads((ROOT / "snipdoc" / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    assert not [r for r in requirements if r.lower().startswith(("torch", "numpy", "matplotlib"))]
    assert not [r for r in requirements if "==" in r]
    assert project["name"] == "snipdoc" and "PyTorch" not in project["description"]


def test_the_repository_folder_never_stands_in_for_the_installed_package():
    # Run from the repository root, `import snipdoc` must find the package (editable from
    # snipdoc/src, or installed), never the folder snipdoc/ as a namespace package.
    assert snipdoc.__file__ is not None
    assert PACKAGE != ROOT / "snipdoc" and (PACKAGE / "engine" / "core.py").is_file()


def test_the_public_names_load():
    """`- snipdoc` (the entry point) and `- snipdoc.extension` (the dotted path of earlier
    versions) in markdown_extensions give the extension; `plugins: - snipdoc` the plugin."""
    from importlib.metadata import entry_points

    import markdown

    from snipdoc.integration.extension import SnippetExtension
    from snipdoc.integration.plugin import SnippetPlugin

    for name in ("snipdoc", "snipdoc.extension"):
        md = markdown.Markdown(extensions=[name], extension_configs={name: {"timeout": 5}})
        [ext] = [e for e in md.registeredExtensions if isinstance(e, SnippetExtension)]
        assert ext.getConfig("timeout") == 5
    [plugin] = entry_points(group="mkdocs.plugins", name="snipdoc")
    assert plugin.load() is SnippetPlugin

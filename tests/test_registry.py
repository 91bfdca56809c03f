from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from oyster_nodes.registry import Registry, RegistryError, load_entry_points, load_folder, load_registry

from . import stubnodes

PACK = '''
from oyster_nodes import Node, Param, Port, RunContext

__version__ = "1.2.3"


class Shout(Node):
    """Upper-cases text."""

    type = "{name}.shout"
    inputs = (Port("text", str),)
    outputs = (Port("text", str),)

    def run(self, ctx: RunContext, *, text: str) -> str:
        return text.upper()


NODES = (Shout,)
'''


def write_pack(folder, name, body=None):
    (folder / f"{name}.py").write_text(textwrap.dedent(body or PACK.format(name=name)))


def test_builtin_pack_is_registered_from_nodes_package():
    reg = load_registry(use_entry_points=False)
    assert "core.math" in reg
    assert reg.get("core.math").pack == "builtin"
    assert reg.packs["builtin"].source.startswith("oyster_nodes.builtin")
    assert reg.get("core.math").__module__ == "oyster_nodes.builtin.core"


def test_the_builtin_pack_takes_no_generic_top_level_name():
    """The `nodes/` folder is imported as oyster_nodes.builtin, so an unrelated `nodes` package cannot clash."""
    import oyster_nodes.builtin as builtin

    load_registry(use_entry_points=False).import_all()
    assert Path(builtin.__path__[0]).name == "nodes"
    assert not any(name == "nodes" or name.startswith("nodes.") for name in sys.modules)


FAMILY = """
from oyster_nodes import Node, Port, RunContext

IMPORTS.append("{name}")


class {cls}(Node):
    type = "{name}.one"
    outputs = (Port("v", float),)

    def run(self, ctx: RunContext) -> dict:
        return {{"v": 1.0}}


NODES = ({cls},)
"""


def _family_package(root: Path, modules: tuple[str, ...]) -> None:
    pkg = root / "famtest"
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (root / "famlog.py").write_text("IMPORTS = []\n")
    for name in modules:
        (pkg / f"{name}.py").write_text("from famlog import IMPORTS\n" + FAMILY.format(name=name, cls=name.title()))


def _fresh(monkeypatch) -> None:
    for mod in [m for m in sys.modules if m == "famlog" or m.startswith("famtest")]:
        monkeypatch.delitem(sys.modules, mod)


def test_a_pack_is_listed_from_its_index_and_imports_a_family_when_used(tmp_path, monkeypatch):
    from oyster_nodes.registry import load_package

    _family_package(tmp_path, ("alpha", "beta"))
    monkeypatch.syspath_prepend(str(tmp_path))
    index = tmp_path / "index"
    reg = Registry()
    load_package(reg, "fam", "famtest", version="1", index_dir=index)  # no index yet: imports everything
    assert sorted(sys.modules["famlog"].IMPORTS) == ["alpha", "beta"] and len(list(index.iterdir())) == 1

    _fresh(monkeypatch)
    reg = Registry()
    load_package(reg, "fam", "famtest", version="1", index_dir=index)
    assert "alpha.one" in reg and "beta.one" in reg and len(reg) == 2
    assert "famtest.alpha" not in sys.modules, "listed from the index: nothing imported yet"
    assert reg.get("beta.one").pack == "fam"
    assert sys.modules["famlog"].IMPORTS == ["beta"]
    assert reg.type_names() == ["alpha.one", "beta.one"] and sys.modules["famlog"].IMPORTS == ["beta"]


def test_editing_or_adding_a_module_rebuilds_the_index(tmp_path, monkeypatch):
    from oyster_nodes.registry import load_package

    _family_package(tmp_path, ("alpha",))
    monkeypatch.syspath_prepend(str(tmp_path))
    index = tmp_path / "index"
    load_package(Registry(), "fam", "famtest", version="1", index_dir=index)
    _family_package(tmp_path, ("alpha", "gamma"))
    _fresh(monkeypatch)
    reg = Registry()
    load_package(reg, "fam", "famtest", version="1", index_dir=index)
    assert "gamma.one" in reg and sorted(sys.modules["famlog"].IMPORTS) == ["alpha", "gamma"]


def test_a_listed_type_cannot_be_registered_twice(tmp_path, monkeypatch):
    from oyster_nodes.registry import load_package

    _family_package(tmp_path, ("alpha",))
    monkeypatch.syspath_prepend(str(tmp_path))
    for _ in range(2):  # the second load lists the pack from its index
        _fresh(monkeypatch)
        reg = Registry()
        load_package(reg, "fam", "famtest", version="1", index_dir=tmp_path / "index")
        write_pack(tmp_path, "alpha", PACK.replace("{name}.shout", "{name}.one").format(name="alpha"))
        with pytest.raises(RegistryError, match="'alpha.one' is already registered by pack 'fam'"):
            load_folder(reg, tmp_path)
        (tmp_path / "alpha.py").unlink()


def test_folder_packs_load_by_the_same_mechanism(tmp_path):
    write_pack(tmp_path, "loud")
    reg = load_registry(folders=[tmp_path], use_entry_points=False)
    assert reg.get("loud.shout").pack == "loud"
    assert reg.packs["loud"].version == "1.2.3"


def test_duplicate_type_name_is_an_error_naming_both_packs(tmp_path):
    write_pack(tmp_path, "first")
    (tmp_path / "second.py").write_text(PACK.format(name="first"))
    with pytest.raises(RegistryError) as err:
        load_registry(folders=[tmp_path], use_entry_points=False)
    assert "node pack 'second'" in str(err.value) and "already registered by pack 'first'" in str(err.value)


def test_pack_that_fails_to_import_is_an_error_naming_it(tmp_path):
    write_pack(tmp_path, "broken", "import does_not_exist_anywhere\nNODES = ()\n")
    with pytest.raises(RegistryError) as err:
        load_registry(folders=[tmp_path], use_entry_points=False)
    assert "node pack 'broken'" in str(err.value) and "ModuleNotFoundError" in str(err.value)
    assert "Traceback" in err.value.detail


def test_bad_node_definitions_are_refused():
    from oyster_nodes import Node, Param, Port

    class NoSeed(Node):
        type = "x.random"
        deterministic = False
        outputs = (Port("v", float),)

        def run(self, ctx):
            return 1.0

    class BadDefault(Node):
        type = "x.bad"
        params = (Param("n", int, 500, max=10),)

        def run(self, ctx, *, n):
            return None

    with pytest.raises(RegistryError, match="must take a 'seed' param") as err:
        Registry().add_pack("x", [NoSeed, BadDefault])
    assert "default of param 'n'" in str(err.value)


def test_entry_point_packs(tmp_path, monkeypatch):
    """A real installed distribution (a dist-info folder on sys.path) declaring the entry point."""
    site = tmp_path / "site"
    (site / "epack").mkdir(parents=True)
    (site / "epack" / "__init__.py").write_text(PACK.format(name="epack"))
    dist = site / "epack-0.3.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: epack\nVersion: 0.3.0\n")
    (dist / "entry_points.txt").write_text("[oyster_nodes.packs]\nepack = epack\n")
    monkeypatch.syspath_prepend(str(site))
    reg = Registry()
    load_entry_points(reg)
    assert reg.get("epack.shout").pack == "epack"
    sys.modules.pop("epack", None)


def test_missing_pack_folder(tmp_path):
    with pytest.raises(RegistryError, match="does not exist"):
        load_folder(Registry(), tmp_path / "nope")


def test_registry_describes_nodes_for_the_editor():
    reg = Registry()
    reg.add_pack("stub", stubnodes.NODES)
    d = next(x for x in reg.describe() if x["type"] == "t.blob")
    assert d["params"][0] == {"name": "size", "type": "int", "default": 16, "min": 1, "max": 4096, "choices": None,
                              "description": "", "widget": None, "required": False}
    assert d["outputs"] == [{"name": "blob", "type": "Blob", "description": "", "optional": False, "any": False}]
    assert d["deterministic"] is False

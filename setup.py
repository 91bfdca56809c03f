"""Where a built wheel takes its packages and data from.

The repository keeps the built-in node pack in `nodes/`, the editor in `frontend/` and the example
workflows in `workflows/`. A wheel holds them inside the package, so nothing installs under a
generic top-level name and an installed copy finds its files without a checkout:

    nodes/                    -> oyster_nodes.builtin       (the built-in pack)
    frontend/dist, component  -> oyster_nodes/_editor/      (the editor bundle; run `node build.mjs` first)
    workflows/*.json          -> oyster_nodes/_templates/   (the template gallery)

Everything else (metadata, dependencies, the `oyster` command) is in pyproject.toml.
"""

from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: shaders and data files of the core, wherever the stage subpackages put them
CORE_DATA = ["**/*.vert", "**/*.frag", "**/*.glsl", "**/*.json"]


def packages() -> list[str]:
    core = [p for p in find_packages(include=["oyster_nodes", "oyster_nodes.*"])
            if p != "oyster_nodes.builtin" and not p.startswith("oyster_nodes.builtin.")]
    builtin = ["oyster_nodes.builtin", *(f"oyster_nodes.builtin.{p}" for p in find_packages("nodes"))]
    return [*core, *builtin, "oyster_nodes._editor", "oyster_nodes._templates"]


class BuildWithEditor(build_py):
    """Refuse to build a wheel without the editor bundle (an editable install needs none)."""

    def run(self) -> None:
        bundle = ROOT / "frontend" / "dist" / "editor.js"
        if not getattr(self, "editable_mode", False) and not bundle.is_file():
            raise SystemExit(f"{bundle} is missing: build the editor first (cd frontend && npm ci && node build.mjs)")
        super().run()


setup(
    packages=packages(),
    package_dir={"oyster_nodes.builtin": "nodes", "oyster_nodes._editor": "frontend",
                 "oyster_nodes._templates": "workflows"},
    package_data={"oyster_nodes": CORE_DATA,
                  "oyster_nodes._editor": ["dist/**/*", "src/component.js", "src/explore.js", "src/explore.css"],
                  "oyster_nodes._templates": ["*.json"]},
    exclude_package_data={"oyster_nodes._editor": ["package.json", "package-lock.json"]},
    cmdclass={"build_py": BuildWithEditor},
)

"""The built-in node pack as seen from a source checkout, where its modules live in `nodes/`.

A built wheel maps the `nodes/` folder to this package (see setup.py) and never holds this file.
In a checkout this file loads `nodes/__init__.py` as `oyster_nodes.builtin`, with `nodes/` as the
package's search path, so both layouts import the same modules under the same names.
"""

import importlib.util
import sys
from pathlib import Path

_NODES = Path(__file__).resolve().parents[2] / "nodes"
_spec = importlib.util.spec_from_file_location(__name__, _NODES / "__init__.py",
                                               submodule_search_locations=[str(_NODES)])
assert _spec is not None and _spec.loader is not None, f"the built-in pack folder {_NODES} is missing"
_module = importlib.util.module_from_spec(_spec)
sys.modules[__name__] = _module
_spec.loader.exec_module(_module)

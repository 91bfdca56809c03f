"""The rasterizer (moderngl over EGL): every pass of stills and sequences from a world and a camera."""

from . import animals, farm_vehicles, flowers  # noqa: F401  (each puts its builders into meshes.BUILDERS)

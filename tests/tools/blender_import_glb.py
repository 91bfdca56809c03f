"""Run inside Blender: imports a GLB and prints what arrived as one JSON line prefixed OYSTER_RESULT.

blender --background --factory-startup --python-exit-code 1 --python blender_import_glb.py -- FILE.glb
"""

import json
import sys

import numpy

if numpy.__dict__.get("bool") is None:  # Blender 3.4's glTF importer uses numpy.bool, removed in numpy 1.24
    numpy.bool = numpy.bool_

import bpy  # noqa: E402
from mathutils import Vector  # noqa: E402

path = sys.argv[sys.argv.index("--") + 1]
bpy.ops.wm.read_factory_settings(use_empty=True)
result = bpy.ops.import_scene.gltf(filepath=path)
objects = list(bpy.data.objects)
summary = {
    "result": sorted(result),
    "objects": len(objects),
    "meshes": sum(1 for o in objects if o.type == "MESH"),
    "lights": [o.data.type for o in objects if o.type == "LIGHT"],
    "cameras": sum(1 for o in objects if o.type == "CAMERA"),
    "actions": len(bpy.data.actions),
    "animated": sorted(o.name for o in objects if o.animation_data and o.animation_data.action),
    "images": len(bpy.data.images),
    "terrain_vertices": sum(len(o.data.vertices) for o in objects if o.type == "MESH" and o.name == "terrain"),
    "sun_direction": [list(o.matrix_world.to_3x3() @ Vector((0.0, 0.0, -1.0))) for o in objects if o.type == "LIGHT"],
    "locations": {o.name: list(o.matrix_world.translation) for o in objects if o.type != "MESH" or o.parent},
    "camera_keys": {},
}
camera = next((o for o in objects if o.type == "CAMERA"), None)
if camera is not None and camera.animation_data and camera.animation_data.action:
    curves = [c for c in camera.animation_data.action.fcurves if c.data_path == "location"]
    summary["camera_keys"] = {"count": len(curves[0].keyframe_points),
                              "first": [c.keyframe_points[0].co[1] for c in sorted(curves, key=lambda c: c.array_index)]}
print("OYSTER_RESULT " + json.dumps(summary))

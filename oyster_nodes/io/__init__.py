"""Export and interchange: files inside the output folder, provenance, video, images, GLB, PLY, heightmaps.

The light entry points are re-exported here; the writers (video, images, glb, ply, heightmap,
camera_export) are imported from their modules so that importing this package stays cheap.
"""

from .files import ExportError, NameFields, OutputFolder, read_manifest, render_name, workflow_key, write_manifest
from .provenance import ProvenanceError, read_workflow, read_workflow_bytes, read_workflow_text

__all__ = [
    "ExportError", "NameFields", "OutputFolder", "ProvenanceError", "read_manifest", "read_workflow", "read_workflow_bytes",
    "read_workflow_text", "render_name", "workflow_key", "write_manifest",
]

"""World exporters: GLB scenes, point clouds and splats, heightmaps, camera paths (file formats live in io/)."""

"""The rasterizer (moderngl over EGL): every pass of stills and sequences from a world and a camera."""

// Terrain: heights, normals and the baked light (see bake_terrain.frag) are fetched per vertex, from the
// mip level that matches this patch's grid stride (u_lod), so the fragment stage does no texture reads.
in vec3 in_grid;   // col, row (cells from the chunk corner), skirt flag
in vec2 in_chunk;  // per instance: chunk corner col, row
uniform mat4 u_viewproj;
uniform sampler2D u_height;
uniform sampler2D u_lightmap;
uniform sampler2D u_normals;
uniform float u_cell;
uniform float u_skirt;
uniform int u_lod;
out vec3 v_pos;
out vec3 v_nrm;
out vec4 v_lit;

void main() {
    int n = textureSize(u_height, 0).x;
    ivec2 c = clamp(ivec2(in_chunk + in_grid.xy), ivec2(0), ivec2(n - 1));
    float z = texelFetch(u_height, c, 0).r - in_grid.z * u_skirt;
    v_pos = vec3(vec2(c) * u_cell, z);
    ivec2 m = min(c >> u_lod, textureSize(u_lightmap, u_lod) - 1);
    vec4 lm = texelFetch(u_lightmap, m, u_lod);
    v_lit = vec4(lm.rgb * lm.rgb * 4.0, lm.a);
    v_nrm = texelFetch(u_normals, m, u_lod).xyz * 2.0 - 1.0;
    gl_Position = u_viewproj * vec4(v_pos, 1.0);
}

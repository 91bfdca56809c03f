in vec3 in_grid;
in vec2 in_chunk;
uniform mat4 u_viewproj;
uniform sampler2D u_height;
uniform float u_cell;
uniform float u_skirt;

void main() {
    int n = textureSize(u_height, 0).x;
    ivec2 c = clamp(ivec2(in_chunk + in_grid.xy), ivec2(0), ivec2(n - 1));
    float z = texelFetch(u_height, c, 0).r - in_grid.z * u_skirt;
    gl_Position = u_viewproj * vec4(vec2(c) * u_cell, z, 1.0);
}

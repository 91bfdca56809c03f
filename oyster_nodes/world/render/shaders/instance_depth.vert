in vec3 in_pos;
in uint in_index;
uniform mat4 u_viewproj;
uniform sampler2D u_inst;

void main() {
    int w = textureSize(u_inst, 0).x;
    int t = int(in_index) * 2;
    vec4 a = texelFetch(u_inst, ivec2(t % w, t / w), 0);
    vec4 b = texelFetch(u_inst, ivec2((t + 1) % w, (t + 1) / w), 0);
    float cy = cos(a.w), sy = sin(a.w);
    vec3 p = plant_shape(in_pos * b.x, a.xy);
    gl_Position = u_viewproj * vec4(mat2(cy, sy, -sy, cy) * p.xy + a.xy, p.z + a.z, 1.0);
}

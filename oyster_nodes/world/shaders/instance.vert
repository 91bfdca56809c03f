in vec3 in_pos;
in vec3 in_nrm;
in vec3 in_col;
in float in_part;
in uint in_index;  // per instance: index into the instance table
uniform mat4 u_viewproj;
uniform sampler2D u_inst;  // two RGBA32F texels per instance: (x, y, z, yaw), (scale, variation, 0, 0)
out vec3 v_pos;
out vec3 v_nrm;
out vec3 v_col;
flat out float v_part;
flat out uint v_id;
flat out float v_var;

void main() {
    int w = textureSize(u_inst, 0).x;
    int t = int(in_index) * 2;
    vec4 a = texelFetch(u_inst, ivec2(t % w, t / w), 0);
    vec4 b = texelFetch(u_inst, ivec2((t + 1) % w, (t + 1) / w), 0);
    float cy = cos(a.w), sy = sin(a.w);
    mat2 rot = mat2(cy, sy, -sy, cy);
    vec3 p = in_pos * b.x;
    v_pos = vec3(rot * p.xy, p.z) + a.xyz;
    v_nrm = vec3(rot * in_nrm.xy, in_nrm.z);
    v_col = in_col;
    v_part = in_part;
    v_id = in_index + 1u;
    v_var = b.y;
    gl_Position = u_viewproj * vec4(v_pos, 1.0);
}

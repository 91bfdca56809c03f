// Simulated bodies and agents: unit shapes placed by a per-frame instance row (see dynamic.py).
in vec3 in_pos;
in vec3 in_nrm;
in vec3 i_centre;
in vec4 i_quat;     // w, x, y, z
in vec3 i_half;     // half extents (radius for round shapes)
in float i_stretch; // capsules: each hemisphere moves this far along local z
in vec3 i_col;
in float i_id;
uniform mat4 u_viewproj;
out vec3 v_pos;
out vec3 v_nrm;
out vec3 v_col;
flat out float v_part;
flat out uint v_id;
flat out float v_var;
out vec4 v_fog;

vec3 rotate(vec4 q, vec3 v) {
    return v + 2.0 * cross(q.yzw, cross(q.yzw, v) + q.x * v);
}

void main() {
    vec3 local = in_pos * i_half + vec3(0.0, 0.0, sign(in_pos.z) * i_stretch);
    v_pos = rotate(i_quat, local) + i_centre;
    v_nrm = normalize(rotate(i_quat, in_nrm / i_half));
    v_col = i_col;
    v_part = 0.0;
    v_id = uint(i_id + 0.5);
    v_var = 0.5;
    v_fog = fog_at(v_pos);
    gl_Position = u_viewproj * vec4(v_pos, 1.0);
}

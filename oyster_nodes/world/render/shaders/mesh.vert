in vec3 in_pos;
in vec3 in_nrm;
in vec3 in_col;
in float in_part;
in float in_id;
uniform mat4 u_viewproj;
out vec3 v_pos;
out vec3 v_nrm;
out vec3 v_col;
flat out float v_part;
flat out uint v_id;
flat out float v_var;
out vec4 v_fog;

void main() {
    v_pos = in_pos;
    v_nrm = in_nrm;
    v_col = in_col;
    v_part = in_part;
    v_id = uint(in_id + 0.5);
    v_var = fract(in_id * 0.618034);
    v_fog = fog_at(v_pos);
    gl_Position = u_viewproj * vec4(v_pos, 1.0);
}

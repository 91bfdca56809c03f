uniform uint u_sem;
uniform float u_autumn;
in vec3 v_pos;
in vec3 v_nrm;
in vec3 v_col;
flat in float v_part;
flat in uint v_id;
flat in float v_var;

void main() {
    vec3 n = normalize(gl_FrontFacing ? v_nrm : -v_nrm);
    vec3 albedo = v_col * (0.8 + 0.4 * v_var);
    if (v_part == 1.0) {  // foliage: per-instance hue shift, autumn colours
        vec3 fall = mix(vec3(0.55, 0.2, 0.03), vec3(0.62, 0.42, 0.05), v_var);
        albedo *= vec3(0.85 + 0.35 * v_var, 1.0, 0.75 + 0.4 * (1.0 - v_var));
        albedo = mix(albedo, fall, u_autumn * step(0.25, v_var));
    }
    float part = v_part == 3.0 && v_var < 0.35 ? 4.0 : v_part;  // 4: an unlit window
    write_g(albedo, part, v_pos, n, v_id, u_sem);
}

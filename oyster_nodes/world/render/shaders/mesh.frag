// Structures and imported meshes: few pixels, so they are lit per pixel with shadows and lit windows.
uniform uint u_sem;
in vec3 v_pos;
in vec3 v_nrm;
in vec3 v_col;
flat in float v_part;
flat in uint v_id;
flat in float v_var;
in vec4 v_fog;

void main() {
    vec3 n = normalize(gl_FrontFacing ? v_nrm : -v_nrm);
    vec3 albedo = snow_on(v_col * (0.85 + 0.3 * v_var), n.z);
    float sh = dot(n, u_light_dir) > 0.0 ? shadow_at(v_pos, n) : 0.0;
    vec3 c = lit_diffuse(albedo, n, sh, 0.9, 0.0);
    if (v_part >= 3.0) {  // glass: a sky reflection by day, warm light inside at night
        vec3 v = normalize(u_cam_pos - v_pos);
        c += u_amb_sky * 0.35 * pow(1.0 - max(dot(n, v), 0.0), 3.0);
        c += vec3(1.0, 0.55, 0.2) * 0.9 * u_night * step(0.3, v_var);
    }
    if (v_part == 2.0) c += albedo * (0.4 + 14.0 * u_night);
    emit(fogged(c, v_fog), v_pos, n, v_id, u_sem);
}

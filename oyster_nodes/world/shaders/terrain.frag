// Terrain (semantic 1): baked light, with sandstone-like strata on rock drawn from height.
uniform uint u_sem;
uniform vec3 u_strata;
in vec3 v_pos;
in vec3 v_nrm;
in vec4 v_lit;

void main() {
    float z = v_pos.z;
    float band = sin(z * 0.9 + 2.2 * sin(z * 0.21)) * 0.6 + sin(z * 2.7 + 1.3) * 0.4;
    vec3 c = v_lit.rgb * mix(vec3(1.0), u_strata + (1.0 - u_strata) * (0.5 + 0.5 * band), v_lit.a);
    emit(c, v_pos, normalize(v_nrm), 0u, u_sem);
}

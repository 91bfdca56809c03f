// Instances (vegetation, props): their display colour arrives interpolated from the vertices.
uniform uint u_sem;
in vec3 v_pos;
in vec3 v_nrm;
in vec3 v_shown;
flat in uint v_id;

void main() {
    vec3 n = normalize(gl_FrontFacing ? v_nrm : -v_nrm);
    emit_graded(v_shown, v_pos, n, v_id, u_sem);
}

// Imported meshes, lit per pixel in user_mesh.frag: positions and normals already placed in the world.
in vec3 in_pos;
in vec3 in_nrm;
in vec4 in_col;  // linear vertex colour
in vec2 in_uv;
in float in_id;
uniform mat4 u_viewproj;
out vec3 v_pos;
out vec3 v_nrm;
out vec4 v_col;
out vec2 v_uv;
flat out uint v_id;
out vec4 v_fog;

void main() {
    v_pos = in_pos;
    v_nrm = in_nrm;
    v_col = in_col;
    v_uv = in_uv;
    v_id = uint(in_id + 0.5);
    v_fog = fog_at(v_pos);
    gl_Position = u_viewproj * vec4(v_pos, 1.0);
}

in vec3 in_pos;
uniform mat4 u_viewproj;
out vec3 v_pos;

void main() {
    v_pos = in_pos;
    gl_Position = u_viewproj * vec4(v_pos, 1.0);
}

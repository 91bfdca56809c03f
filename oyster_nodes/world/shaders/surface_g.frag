// Terrain (semantic 1) and water (2): the lighting pass reads their look from the world's textures.
uniform uint u_sem;
in vec3 v_pos;

void main() {
    write_g(vec3(0.0), 0.0, v_pos, vec3(0.0, 0.0, 1.0), 0u, u_sem);
}

// Fragment outputs: every pass in one write.
uniform vec3 u_cam_fwd;
layout(location = 0) out vec4 o_rgb;
layout(location = 1) out float o_depth;
layout(location = 2) out vec4 o_normal;
layout(location = 3) out int o_instance;
layout(location = 4) out uint o_semantic;

// Every pass of one fragment; `shown` is the display colour (already graded, see tone.glsl).
void emit_graded(vec3 shown, vec3 pos, vec3 n, uint id, uint sem) {
    o_rgb = vec4(shown, 1.0);
    o_depth = dot(pos - u_cam_pos, u_cam_fwd);
    o_normal = vec4(n, 0.0);
    o_instance = int(id);
    o_semantic = sem;
}

// The same from linear radiance c with the fog already applied (see fog.glsl).
void emit(vec3 c, vec3 pos, vec3 n, uint id, uint sem) {
    emit_graded(grade(c), pos, n, id, sem);
}

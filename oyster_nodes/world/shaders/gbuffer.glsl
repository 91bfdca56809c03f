// Geometry-pass outputs: albedo (sqrt-encoded) + part code, and (depth bits, id, semantic, packed normal).
uniform vec3 u_cam_pos;
uniform vec3 u_cam_fwd;
layout(location = 0) out vec4 o_albedo;
layout(location = 1) out uvec4 o_data;

uint pack_normal(vec3 n) {
    n /= (abs(n.x) + abs(n.y) + abs(n.z) + 1e-9);
    vec2 e = n.z >= 0.0 ? n.xy : (1.0 - abs(n.yx)) * vec2(n.x >= 0.0 ? 1.0 : -1.0, n.y >= 0.0 ? 1.0 : -1.0);
    uvec2 q = uvec2(clamp(e * 0.5 + 0.5, 0.0, 1.0) * 65535.0 + 0.5);
    return q.x | (q.y << 16);
}

void write_g(vec3 albedo, float part, vec3 pos, vec3 n, uint id, uint sem) {
    o_albedo = vec4(sqrt(clamp(albedo, 0.0, 1.0)), part / 255.0);
    o_data = uvec4(floatBitsToUint(dot(pos - u_cam_pos, u_cam_fwd)), id, sem, pack_normal(n));
}

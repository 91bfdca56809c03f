// Edge smoothing for single-sample frames: blends along the local edge where contrast is high.
uniform sampler2D u_color;
in vec2 v_uv;
layout(location = 0) out vec4 o_rgb;

float luma(vec3 c) {
    return dot(c, vec3(0.299, 0.587, 0.114));
}

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    vec3 c = texelFetch(u_color, p, 0).rgb;
    float ln = luma(texelFetch(u_color, p + ivec2(0, 1), 0).rgb);
    float ls = luma(texelFetch(u_color, p - ivec2(0, 1), 0).rgb);
    float le = luma(texelFetch(u_color, p + ivec2(1, 0), 0).rgb);
    float lw = luma(texelFetch(u_color, p - ivec2(1, 0), 0).rgb);
    float lc = luma(c);
    float lo = min(lc, min(min(ln, ls), min(le, lw)));
    float hi = max(lc, max(max(ln, ls), max(le, lw)));
    if (hi - lo < max(0.04, hi * 0.1)) {
        o_rgb = vec4(c, 1.0);
        return;
    }
    vec2 px = 1.0 / vec2(textureSize(u_color, 0));
    vec2 uv = (vec2(p) + 0.5) * px;
    vec2 across = vec2(le - lw, ln - ls);
    vec2 along = normalize(vec2(-across.y, across.x) + 1e-6) * px;
    vec3 a = texture(u_color, uv + along * 0.5).rgb + texture(u_color, uv - along * 0.5).rgb;
    vec3 b = texture(u_color, uv + along * 1.5).rgb + texture(u_color, uv - along * 1.5).rgb;
    o_rgb = vec4(mix(c, 0.35 * a + 0.15 * b, 0.7), 1.0);
}

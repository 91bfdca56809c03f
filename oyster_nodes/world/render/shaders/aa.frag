// Edge smoothing for single-sample frames: where contrast is high, blends two samples along the edge; with
// PRECIP, falling rain or snow over the result (see precip.glsl).
uniform sampler2D u_color;
layout(location = 0) out vec4 o_rgb;

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    vec3 c = texelFetch(u_color, p, 0).rgb;
    float ln = texelFetch(u_color, p + ivec2(0, 1), 0).g;
    float ls = texelFetch(u_color, p - ivec2(0, 1), 0).g;
    float le = texelFetch(u_color, p + ivec2(1, 0), 0).g;
    float lw = texelFetch(u_color, p - ivec2(1, 0), 0).g;
    vec2 across = vec2(le - lw, ln - ls);
    float contrast = max(abs(across.x), abs(across.y));
    if (contrast >= max(0.05, c.g * 0.12)) {
        vec2 px = 1.0 / vec2(textureSize(u_color, 0));
        vec2 uv = (vec2(p) + 0.5) * px;
        vec2 along = normalize(vec2(-across.y, across.x)) * px * 0.75;
        vec3 a = texture(u_color, uv + along).rgb + texture(u_color, uv - along).rgb;
        c = mix(c, 0.5 * a, 0.75);
    }
#ifdef PRECIP
    c = mix(c, u_drop_color, precip_cover(gl_FragCoord.xy, texelFetch(u_depth, p, 0).r));
#endif
    o_rgb = vec4(c, 1.0);
}

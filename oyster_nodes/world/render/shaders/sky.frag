// The sky behind everything (depth test <= at the far plane): sky.vert's gradient and fog, plus the sun,
// moon, stars and clouds per pixel.
uniform vec3 u_moon_dir;
uniform float u_cloud;
in vec4 v_far;
in vec3 v_sky;
in vec4 v_fog;
uniform vec2 u_wind;
uniform sampler2D u_noise;
// a lightning bolt (lightning.py): segments in pixels (x0, y0, x1, y1), how many, core width, colour
uniform int u_bolt_n;
uniform vec4 u_bolt[24];
uniform float u_bolt_px;
uniform vec3 u_bolt_color;

vec3 bolt(vec2 px) {
    float dmin = 1e9;
    for (int i = 0; i < u_bolt_n; ++i) {
        vec2 a = u_bolt[i].xy, b = u_bolt[i].zw;
        vec2 ab = b - a;
        float t = clamp(dot(px - a, ab) / max(dot(ab, ab), 1e-6), 0.0, 1.0);
        dmin = min(dmin, length(px - a - ab * t));
    }
    float w = dmin / u_bolt_px;
    return u_bolt_color * (exp(-w * w) + 0.18 * exp(-w * 0.12));
}

float hash3(vec3 p) {
    p = fract(p * vec3(443.897, 441.423, 437.195));
    p += dot(p, p.yzx + 19.19);
    return fract((p.x + p.y) * p.z);
}

vec3 clouds(vec3 d, vec3 c) {
    if (d.z <= 0.01 || u_cloud <= 0.0) return c;
    vec2 p = d.xy / (d.z + 0.12) * 0.09 + u_wind;
    float cl = texture(u_noise, p).r;
    float cover = smoothstep(0.78 - 0.45 * u_cloud, 1.0 - 0.4 * u_cloud, cl) * smoothstep(0.01, 0.2, d.z);
    float mu = max(dot(d, u_sun_dir), 0.0);
    float mu2 = mu * mu;
    vec3 lum = u_amb_sky * mix(1.4, 0.5, u_night) + u_key_color * 0.18 * (1.0 - u_night) + u_glow * 0.8 * mu2 * mu2 * mu2;
    lum *= mix(1.0, 0.6, u_cloud * smoothstep(0.8, 1.0, cl)) * (1.0 - 0.45 * u_cloud * u_cloud);  // heavy cover: dark bases
    return mix(c, lum, cover * 0.85);
}

void main() {
    vec3 d = normalize(v_far.xyz / v_far.w - u_cam_pos);
    vec3 c = v_sky;
    float mu = dot(d, u_sun_dir);
    if (mu > 0.9998) c += u_sun_disc * smoothstep(0.99985, 0.99993, mu);
    if (u_night > 0.0) {
        vec3 cell = floor(d * 300.0);
        float star = step(0.9975, hash3(cell)) * hash3(cell + 7.0);
        c += vec3(0.8, 0.85, 1.0) * star * 0.12 * u_night * smoothstep(0.0, 0.2, d.z) * (1.0 - u_cloud);
        float m = dot(d, u_moon_dir);
        c += vec3(0.5, 0.55, 0.6) * u_night * (smoothstep(0.99955, 0.9997, m) + 0.015 * pow(max(m, 0.0), 24.0));
    }
    c = clouds(d, c);
    if (u_bolt_n > 0) c += bolt(gl_FragCoord.xy);
    o_rgb = vec4(grade(fogged(c, v_fog)), 1.0);
    o_depth = uintBitsToFloat(0x7f800000u);
    o_normal = vec4(0.0);
    o_instance = 0;
    o_semantic = 0u;
}

// The sky behind everything (depth test <= at the far plane): gradient, sun, moon, stars, clouds, haze.
uniform mat4 u_inv_viewproj;
uniform vec2 u_size;
uniform vec3 u_moon_dir;
uniform float u_cloud;
uniform float u_fog_far;
uniform vec2 u_wind;
uniform sampler2D u_noise;

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
    vec3 lum = u_amb_sky * 1.4 + u_key_color * 0.18 * (1.0 - u_night) + u_glow * 0.8 * pow(mu, 6.0);
    lum *= mix(1.0, 0.6, u_cloud * smoothstep(0.8, 1.0, cl));
    return mix(c, lum, cover * 0.85);
}

void main() {
    vec2 ndc = gl_FragCoord.xy / u_size * 2.0 - 1.0;
    vec4 far = u_inv_viewproj * vec4(ndc, 1.0, 1.0);
    vec3 d = normalize(far.xyz / far.w - u_cam_pos);
    vec3 c = sky_radiance(d);
    float mu = dot(d, u_sun_dir);
    c += u_sun_disc * smoothstep(0.99985, 0.99993, mu);
    if (u_night > 0.0) {
        vec3 cell = floor(d * 300.0);
        float star = step(0.9975, hash3(cell)) * hash3(cell + 7.0);
        c += vec3(0.8, 0.85, 1.0) * star * 0.12 * u_night * smoothstep(0.0, 0.2, d.z) * (1.0 - u_cloud);
        float m = dot(d, u_moon_dir);
        c += vec3(0.5, 0.55, 0.6) * u_night * (smoothstep(0.99955, 0.9997, m) + 0.015 * pow(max(m, 0.0), 24.0));
    }
    c = clouds(d, c);
    c = mix(c, fog_tint(d), fog_amount(d, u_fog_far));
    o_rgb = vec4(grade(c), 1.0);
    o_depth = uintBitsToFloat(0x7f800000u);
    o_normal = vec4(0.0);
    o_instance = 0;
    o_semantic = 0u;
}

// Deferred lighting: shades the geometry buffers once per sample and writes every output pass,
// top row first, averaging colour over the ss x ss samples of a pixel (ids, depth, normal: first sample).
uniform usampler2D u_data;
uniform sampler2D u_gcolor;
uniform sampler2D u_height;
uniform sampler2D u_albedo;
uniform sampler2D u_normals;
uniform float u_cell;
uniform int u_ss;
uniform mat4 u_inv_viewproj;
in vec2 v_uv;
layout(location = 0) out vec4 o_rgb;
layout(location = 1) out float o_depth;
layout(location = 2) out vec4 o_normal;
layout(location = 3) out int o_instance;
layout(location = 4) out uint o_semantic;

vec3 unpack_normal(uint q) {
    vec2 e = vec2(float(q & 0xffffu), float(q >> 16)) / 65535.0 * 2.0 - 1.0;
    vec3 n = vec3(e, 1.0 - abs(e.x) - abs(e.y));
    float t = max(-n.z, 0.0);
    n.xy -= vec2(n.x >= 0.0 ? t : -t, n.y >= 0.0 ? t : -t);
    return normalize(n);
}

float hash3(vec3 p) {
    p = fract(p * vec3(443.897, 441.423, 437.195));
    p += dot(p, p.yzx + 19.19);
    return fract((p.x + p.y) * p.z);
}

vec3 sky(vec3 d) {
    vec3 c = sky_radiance(d);
    float mu = dot(d, u_sun_dir);
    c += u_sun_color * 40.0 * smoothstep(0.99985, 0.99993, mu) * (1.0 - 0.85 * u_cloud);
    if (u_night > 0.0) {
        vec3 cell = floor(d * 300.0);
        float star = step(0.9975, hash3(cell)) * hash3(cell + 7.0);
        c += vec3(0.8, 0.85, 1.0) * star * 0.25 * u_night * smoothstep(0.0, 0.2, d.z) * (1.0 - u_cloud);
        float m = dot(d, u_moon_dir);
        c += vec3(0.7, 0.75, 0.8) * u_night * (smoothstep(0.99955, 0.9997, m) * 0.9 + 0.02 * pow(max(m, 0.0), 32.0));
    }
    if (d.z > 0.0) {
        vec2 p = d.xy / (d.z + 0.08) * 0.12;
        float cl = noise2(p) * 0.55 + noise2(p * 2.3 + 0.3) * 0.3 + noise2(p * 5.1 + 0.7) * 0.15;
        float cover = smoothstep(0.75 - 0.5 * u_cloud, 1.0 - 0.45 * u_cloud, cl) * smoothstep(0.0, 0.15, d.z);
        vec3 lum = ambient_light(vec3(0, 0, 1)) * 1.3 + u_sun_color * 0.12 * (0.6 + 0.4 * pow(max(mu, 0.0), 4.0));
        c = mix(c, lum * mix(1.0, 0.55, u_cloud), cover * 0.9);
    }
    return c;
}

vec3 terrain(vec3 pos, out vec3 n) {
    vec2 uv = (pos.xy / u_cell + 0.5) / vec2(textureSize(u_height, 0));
    vec4 nt = texture(u_normals, uv);
    n = normalize(nt.xyz * 2.0 - 1.0);
    vec3 albedo = texture(u_albedo, uv).rgb;
    albedo *= albedo;
    float detail = noise2(pos.xy * 0.045);
    albedo *= 0.75 + 0.5 * detail;
    float flat_up = smoothstep(0.72, 0.9, n.z);
    albedo = mix(albedo, vec3(0.85, 0.88, 0.92), u_snow * flat_up * smoothstep(0.35, 0.6, detail + 0.3 * u_snow));
    albedo *= 1.0 - 0.4 * u_wet;
    // shadow lookups use the exact heightfield surface, whatever level of detail drew this pixel
    vec3 surface = vec3(pos.xy, texture(u_height, uv).r);
    return lit(albedo, n, surface, nt.a, 0.0, 0.25 * u_wet);
}

vec3 water(vec3 pos, vec3 V, out vec3 n) {
    vec2 uv = (pos.xy / u_cell + 0.5) / vec2(textureSize(u_height, 0));
    float depth = max(pos.z - texture(u_height, uv).r, 0.0);
    vec2 r1 = vec2(noise2(pos.xy * 0.031), noise2(pos.xy * 0.031 + 0.37)) - 0.5;
    vec2 r2 = vec2(noise2(pos.yx * 0.17 + 0.11), noise2(pos.yx * 0.17 + 0.53)) - 0.5;
    n = normalize(vec3((r1 * 0.5 + r2 * 0.25) * (0.3 + 0.4 * u_wet), 1.0));
    float ndv = max(dot(n, V), 0.0);
    float fresnel = 0.02 + 0.98 * pow(1.0 - ndv, 5.0);
    vec3 R = reflect(-V, n);
    R.z = abs(R.z);
    vec3 refl = sky_radiance(R);
    float sh = shadow_at(pos, vec3(0.0, 0.0, 1.0));
    vec3 bed = texture(u_albedo, uv).rgb;
    vec3 amb = ambient_light(vec3(0.0, 0.0, 1.0));
    vec3 bed_lit = bed * bed * (key_light_color() * max(u_light_dir.z, 0.0) * sh + amb);
    vec3 deep = vec3(0.01, 0.04, 0.055) * (amb + key_light_color() * 0.1);
    float path = depth * (1.0 + 1.0 / max(ndv, 0.15));
    vec3 body = mix(bed_lit * vec3(0.6, 0.8, 0.8), deep, 1.0 - exp(-path * 0.25));
    vec3 c = mix(body, refl, fresnel);
    vec3 H = normalize(V + u_light_dir);
    float nh = max(dot(n, H), 0.0);
    c += key_light_color() * sh * (4.0 * pow(nh, 500.0) + 0.05 * pow(nh, 50.0));
    return c;
}

vec3 object(ivec2 g, vec3 pos, vec3 n) {
    vec4 a = texelFetch(u_gcolor, g, 0);
    vec3 albedo = a.rgb * a.rgb;
    int part = int(a.a * 255.0 + 0.5);
    albedo = mix(albedo, vec3(0.85, 0.88, 0.92), u_snow * smoothstep(0.55, 0.85, n.z));
    albedo *= 1.0 - 0.3 * u_wet;
    float wrap = part == 1 ? 0.45 : 0.0;
    float spec = part >= 3 ? 0.8 : 0.05 + 0.3 * u_wet;
    vec3 c = lit(albedo, n, pos, 0.85, wrap, spec);
    if (part == 2) c += albedo * (0.4 + 12.0 * u_night);
    if (part == 3) c += vec3(1.0, 0.62, 0.28) * 2.5 * u_night;
    return c;
}

vec3 shade(ivec2 g, uvec4 d, out vec3 n) {
    vec2 ndc = (vec2(g) + 0.5) / vec2(textureSize(u_data, 0)) * 2.0 - 1.0;
    vec4 far = u_inv_viewproj * vec4(ndc, 1.0, 1.0);
    vec3 dir = normalize(far.xyz / far.w - u_cam_pos);
    n = vec3(0.0);
    if (d.z == 0u) return tonemap(sky(dir));
    float dist = uintBitsToFloat(d.x);
    vec3 pos = u_cam_pos + dir * (dist / max(dot(dir, u_cam_fwd), 1e-6));
    vec3 c;
    if (d.z == 1u) c = terrain(pos, n);
    else if (d.z == 2u) c = water(pos, -dir, n);
    else {
        n = unpack_normal(d.w);
        c = object(g, pos, n);
    }
    return tonemap(apply_fog(c, pos));
}

void main() {
    ivec2 p = ivec2(v_uv * vec2(textureSize(u_data, 0) / u_ss)) * u_ss;
    uvec4 d = texelFetch(u_data, p, 0);
    vec3 n;
    vec3 c = shade(p, d, n);
    for (int k = 1; k < u_ss * u_ss; ++k) {
        ivec2 q = p + ivec2(k % u_ss, k / u_ss);
        vec3 unused;
        c += shade(q, texelFetch(u_data, q, 0), unused);
    }
    o_rgb = vec4(c / float(u_ss * u_ss), 1.0);
    o_depth = d.z == 0u ? uintBitsToFloat(0x7f800000u) : uintBitsToFloat(d.x);
    o_normal = vec4(n, 0.0);
    o_instance = int(d.y);
    o_semantic = d.z;
}

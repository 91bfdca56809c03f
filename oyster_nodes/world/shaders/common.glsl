// Shared lighting, sky, fog and output code. Colours are linear RGB until tone mapping.
uniform vec3 u_cam_pos;
uniform vec3 u_cam_fwd;
uniform vec3 u_sun_dir;
uniform vec3 u_light_dir;
uniform vec3 u_sun_color;
uniform vec3 u_moon_dir;
uniform vec3 u_sky_zenith;
uniform vec3 u_sky_horizon;
uniform vec3 u_ground_color;
uniform vec3 u_fog_color;
uniform float u_fog_density;
uniform float u_exposure;
uniform float u_night;
uniform float u_cloud;
uniform float u_wet;
uniform float u_snow;
uniform mat4 u_light_vp;
uniform float u_shadow_texel;
uniform sampler2DShadow u_shadow;
uniform sampler2D u_noise;

vec3 sky_radiance(vec3 d) {
    float h = d.z;
    vec3 c = mix(u_sky_horizon, u_sky_zenith, pow(clamp(h, 0.0, 1.0), 0.45));
    c = mix(c, u_ground_color * 0.6 + u_sky_horizon * 0.4, smoothstep(0.0, -0.25, h));
    float mu = max(dot(d, u_sun_dir), 0.0);
    float low = 1.0 - 0.7 * clamp(u_sun_dir.z * 2.0, 0.0, 1.0);
    c += u_sun_color * (0.035 * pow(mu, 6.0) * low + 0.12 * pow(mu, 48.0)) * (1.0 - 0.6 * u_cloud);
    return c;
}

vec3 ambient_light(vec3 n) {
    vec3 sky = mix(u_sky_horizon, u_sky_zenith, 0.5);
    vec3 ground = u_ground_color * 0.5 + u_sun_color * max(u_sun_dir.z, 0.0) * 0.06;
    vec3 amb = mix(ground, sky, 0.5 + 0.5 * n.z);
    return amb + vec3(0.006, 0.008, 0.014) * u_night;
}

vec3 key_light_color() {
    // the moon takes over as the shadow-casting light at night
    return u_sun_dir.z > -0.02 ? u_sun_color : vec3(0.05, 0.065, 0.1) * u_night;
}

float shadow_at(vec3 pos, vec3 n) {
    float ndl = dot(n, u_light_dir);
    vec3 p = pos + n * u_shadow_texel * (1.5 + 2.0 * (1.0 - abs(ndl)));
    vec3 c = (u_light_vp * vec4(p, 1.0)).xyz * 0.5 + 0.5;  // orthographic: w = 1
    if (c.x <= 0.0 || c.x >= 1.0 || c.y <= 0.0 || c.y >= 1.0 || c.z >= 1.0) return 1.0;
    return texture(u_shadow, vec3(c.xy, c.z - 0.00004));  // linear filtering: 2x2 percentage-closer
}

vec3 apply_fog(vec3 c, vec3 pos) {
    vec3 d = pos - u_cam_pos;
    float dist = length(d);
    float dens = u_fog_density * exp(-max(0.5 * (pos.z + u_cam_pos.z), 0.0) * 0.004);
    float f = 1.0 - exp(-dist * dens);
    float mu = max(dot(d, u_sun_dir) / max(dist, 1e-4), 0.0);
    mu *= mu;
    vec3 fogc = mix(u_fog_color, u_sky_horizon, 0.5) + u_sun_color * 0.05 * mu * mu * mu;
    return mix(c, fogc, f);
}

vec3 tonemap(vec3 x) {
    x *= u_exposure;
    vec3 t = clamp((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), 0.0, 1.0);
    return pow(t, vec3(1.0 / 2.2));
}

vec3 lit(vec3 albedo, vec3 n, vec3 pos, float ao, float wrap, float spec) {
    vec3 L = u_light_dir;
    float ndl = dot(n, L);
    float diff = wrap > 0.0 ? max((ndl + wrap) / (1.0 + wrap), 0.0) : max(ndl, 0.0);
    float sh = ndl > -wrap ? shadow_at(pos, n) : 0.0;
    vec3 c = albedo * (key_light_color() * diff * sh + ambient_light(n) * ao);
    if (spec > 0.0) {
        vec3 V = normalize(u_cam_pos - pos);
        vec3 H = normalize(V + L);
        c += key_light_color() * sh * spec * pow(max(dot(n, H), 0.0), 60.0) * max(ndl, 0.0);
    }
    return c;
}

float noise2(vec2 p) {
    return texture(u_noise, p).r;
}

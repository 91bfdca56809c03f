// Height fog and haze, shared by the vertex stages (which fog per vertex: fog changes slowly across a
// triangle, and per-pixel exponentials are what a software rasterizer pays most for) and the fragment stages.
uniform vec3 u_fog_color;
// the fog's tint on the sun's side (unit luminance): a low sun warms the fog towards it
uniform vec3 u_fog_warm;
uniform vec3 u_fog_warm_away;  // and away from it (part of the same tint: the droplets there are sunlit too)
uniform float u_fog_density;
uniform float u_fog_height;
uniform float u_fog_base;
uniform float u_haze;
// humid air over a fog that lies low: a faint, deep layer on the same base (aerial perspective in fog)
uniform float u_air_density;
uniform float u_air_height;
// the sun's glow in the fog's in-scattered light: strong in thin haze (forward scattering), faint in thick fog
uniform vec3 u_fog_glow;
// a second, shallow layer lying on the water (or the low ground) near the camera's subject: mist
uniform float u_mist_density;
uniform float u_mist_base;
uniform float u_mist_height;

// Optical depth along `len` metres from the camera in unit direction d through exponential height fog whose
// density is `density` at height `base` and falls off by e every `height` metres up (the camera's own height
// is clamped a little under the base, so that fog far below the base does not grow without bound).
float layer_depth(vec3 d, float len, float density, float base, float height) {
    float a = 1.0 / height;
    float h0 = max(u_cam_pos.z - base, -height);
    float x = d.z * len * a;
    float k = abs(x) > 1e-3 ? (1.0 - exp(-x)) / x : 1.0 - 0.5 * x;
    return density * exp(-h0 * a) * len * k;
}

// Fraction of light lost to the air along `len` metres from the camera in unit direction d: height fog, mist on
// the water, and a thin uniform haze (aerial perspective).
float fog_amount(vec3 d, float len) {
    float depth = layer_depth(d, len, u_fog_density, u_fog_base, u_fog_height) + u_haze * len;
    if (u_mist_density > 0.0) depth += layer_depth(d, len, u_mist_density, u_mist_base, u_mist_height);
    if (u_air_density > 0.0) depth += layer_depth(d, len, u_air_density, u_fog_base, u_air_height);
    return 1.0 - exp(-depth);
}

vec3 fog_tint(vec3 d) {
    float m2 = max(dot(d, u_sun_dir), 0.0);
    m2 *= m2;
    float m8 = m2 * m2 * m2 * m2;
    float side = max(dot(normalize(d.xy + 1e-6), normalize(u_sun_dir.xy + 1e-6)) * 0.5 + 0.5, 0.0);
    vec3 tint = mix(u_fog_warm_away, u_fog_warm, side * side * side);
    return u_fog_color * tint + u_fog_glow * (0.25 * m2 * m2 + 0.5 * m8 * m8 * m8);
}

// The fog between the camera and `pos` as (in-scattered colour, transmittance): c' = c * f.a + f.rgb.
vec4 fog_at(vec3 pos) {
    vec3 d = pos - u_cam_pos;
    float len = length(d);
    d /= max(len, 1e-6);
    float f = fog_amount(d, len);
    return vec4(fog_tint(d) * f, 1.0 - f);
}

vec3 fogged(vec3 c, vec4 fog) {
    return c * fog.a + fog.rgb;
}

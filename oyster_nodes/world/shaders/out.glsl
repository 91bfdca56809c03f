// Fragment outputs: height fog, tone mapping and grading, and every pass in one write.
uniform vec3 u_cam_fwd;
uniform vec3 u_fog_color;
uniform float u_fog_density;
uniform float u_fog_height;
uniform float u_fog_base;
uniform float u_haze;
uniform float u_exposure;
uniform vec3 u_tint;
uniform float u_saturation;
uniform float u_contrast;
layout(location = 0) out vec4 o_rgb;
layout(location = 1) out float o_depth;
layout(location = 2) out vec4 o_normal;
layout(location = 3) out int o_instance;
layout(location = 4) out uint o_semantic;

// Fraction of light lost to fog along `len` metres from the camera in unit direction d: exponential
// height fog (density falls off by e every u_fog_height metres above u_fog_base) plus a thin uniform haze.
float fog_amount(vec3 d, float len) {
    float a = 1.0 / u_fog_height;
    float h0 = max(u_cam_pos.z - u_fog_base, -u_fog_height);
    float x = d.z * len * a;
    float k = abs(x) > 1e-3 ? (1.0 - exp(-x)) / x : 1.0 - 0.5 * x;
    float depth = u_fog_density * exp(-h0 * a) * len * k + u_haze * len;
    return 1.0 - exp(-depth);
}

vec3 fog_tint(vec3 d) {
    float m2 = max(dot(d, u_sun_dir), 0.0);
    m2 *= m2;
    float m8 = m2 * m2 * m2 * m2;
    return u_fog_color + u_glow * (0.25 * m2 * m2 + 0.5 * m8 * m8 * m8);
}

vec3 grade(vec3 x) {
    x *= u_exposure;
    vec3 t = clamp((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), 0.0, 1.0);
    t = sqrt(t) * u_tint;  // display gamma 2
    float l = dot(t, vec3(0.2126, 0.7152, 0.0722));
    t = mix(vec3(l), t, u_saturation);
    return clamp((t - 0.5) * u_contrast + 0.5, 0.0, 1.0);
}

void emit(vec3 c, vec3 pos, vec3 n, uint id, uint sem) {
    vec3 d = pos - u_cam_pos;
    float len = length(d);
    d /= max(len, 1e-6);
    o_rgb = vec4(grade(mix(c, fog_tint(d), fog_amount(d, len))), 1.0);
    o_depth = dot(pos - u_cam_pos, u_cam_fwd);
    o_normal = vec4(n, 0.0);
    o_instance = int(id);
    o_semantic = sem;
}

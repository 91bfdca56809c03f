// The sky: an analytic gradient with a sun disc and halo (no textures, so it is cheap on a CPU).
uniform vec3 u_sky_zenith;
uniform vec3 u_sky_horizon;
uniform vec3 u_sky_ground;
uniform vec3 u_glow;
uniform vec3 u_sun_disc;

vec3 sky_radiance(vec3 d) {
    float h = clamp(d.z, 0.0, 1.0);
    vec3 c = mix(u_sky_horizon, u_sky_zenith, sqrt(h) * (2.0 - sqrt(h)) * 0.9 + 0.1 * h);
    c = mix(c, u_sky_ground, smoothstep(0.0, -0.12, d.z));
    float mu = max(dot(d, u_sun_dir), 0.0);
    vec2 flat_d = normalize(d.xy + 1e-6), flat_s = normalize(u_sun_dir.xy + 1e-6);
    float side = max(dot(flat_d, flat_s), 0.0);
    float low = (1.0 - h) * (1.0 - h);
    float m4 = mu * mu * mu * mu;
    float m32 = m4 * m4 * m4 * m4 * m4 * m4 * m4 * m4;
    c += u_glow * (0.5 * low * low * side * side + 0.6 * m4 * m4 * m4 + 1.6 * m32 * m32 * m32 * m32 * m32 * m32);
    return c;
}

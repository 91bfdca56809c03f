// Water (semantic 2): analytic ripples, Fresnel sky reflection, depth-tinted body and a sun glint.
uniform uint u_sem;
uniform vec3 u_water_deep;
uniform vec3 u_water_shallow;
uniform vec3 u_water_absorb;
uniform float u_rough;
uniform float u_fog_far;
uniform float u_foam;  // how white a sea's surf line is (0: lakes and rivers)
uniform float u_ice;  // 1: the water is frozen over ("a frozen lake"): matte pale ice dusted with snow
in vec3 v_pos;
in vec4 v_bed;
in float v_sun;
in vec4 v_fog;

void main() {
    vec2 p = v_pos.xy;
    float px = length(fwidth(p));  // metres per pixel: ripples finer than a pixel fade out instead of aliasing
    vec2 g = vec2(cos(p.x * 0.11 + p.y * 0.07), cos(p.y * 0.13 - p.x * 0.05)) * 0.5 * exp(-px * 0.3)
           + vec2(cos(p.x * 0.43 - p.y * 0.31 + 1.7), cos(p.y * 0.47 + p.x * 0.29 + 0.4)) * 0.25 * exp(-px * 1.2);
    vec3 n = normalize(vec3(g * u_rough, 1.0));
    vec3 d = v_pos - u_cam_pos;
    vec3 v = -normalize(d);
    float ndv = max(dot(n, v), 0.02);
    float fresnel = 0.02 + 0.98 * pow(1.0 - ndv, 5.0);
    vec3 r = reflect(-v, n);
    r.z = abs(r.z);
    vec3 refl = sky_radiance(r);
    vec3 light = ambient_light(vec3(0.0, 0.0, 1.0)) + u_key_color * 0.15 * v_sun;
    float path = v_bed.a * (1.0 + 1.0 / max(ndv, 0.2));
    // red is absorbed first: shallow water over a light bed reads turquoise, deep water dark blue
    vec3 trans = exp(-path * u_water_absorb);
    vec3 inscatter = mix(u_water_shallow, u_water_deep, 1.0 - exp(-path * 0.06)) * light;
    vec3 body = v_bed.rgb * trans + inscatter * (1.0 - trans.g);
    vec3 c = mix(body, refl, fresnel);
    if (u_foam > 0.0) {  // the surf line: foam where the sea runs up the shore, broken along it, fading seaward
        float edge = 1.0 - smoothstep(0.02, 0.16, v_bed.a);
        float broken = 0.55 + 0.45 * sin(p.x * 0.37 + 1.9 * sin(p.y * 0.21)) * sin(p.y * 0.29 - 1.3 * sin(p.x * 0.17));
        float line = edge * (0.35 + 0.65 * smoothstep(0.2, 0.8, broken)) * exp(-px * 0.05);
        c = mix(c, light * 0.95, u_foam * line);
    }
    vec3 h = normalize(v + u_sun_dir);
    float nh = max(dot(n, h), 0.0);
    c += u_key_color * v_sun * (3.0 * pow(nh, 400.0) + 0.08 * pow(nh, 40.0)) * step(0.0, u_sun_dir.z);
    // in wet weather the lights near by (lamps, lit windows) trail down the water (wet.glsl)
    if (u_n_wet_lights > 0 && u_ice <= 0.0) c += wet_streaks(v_pos, vec2(0.1, 0.03), g * u_rough + rain_tilt(p, px));
    if (u_ice > 0.0) {  // ice: blue-grey where the wind swept it, white where snow drifted over it, a faint sheen
        float drift = 0.5 + 0.5 * sin(p.x * 0.045 + 2.0 * sin(p.y * 0.027)) * cos(p.y * 0.038 - p.x * 0.012);
        vec3 ice = mix(vec3(0.36, 0.47, 0.55), vec3(0.8, 0.82, 0.85), smoothstep(0.35, 0.8, drift));
        c = mix(lit_diffuse(ice, vec3(0.0, 0.0, 1.0), v_sun, 1.0, 0.0), refl, 0.03 + 0.25 * fresnel);
    }
    // far out the open sea takes the sky's own horizon colour, so it meets the sky without a seam
    float far = smoothstep(0.45, 0.95, length(d) / u_fog_far);
    if (far > 0.0) c = mix(c, sky_radiance(normalize(vec3(d.xy, 0.0))), far);
    emit(fogged(c, v_fog), v_pos, vec3(0.0, 0.0, 1.0), 0u, u_sem);
}

// Water (semantic 2): analytic ripples, Fresnel sky reflection, depth-tinted body and a sun glint.
uniform uint u_sem;
uniform vec3 u_water_deep;
uniform vec3 u_water_shallow;
uniform vec3 u_water_absorb;
uniform float u_rough;
uniform float u_fog_far;
uniform float u_foam;  // how white a sea's surf line is (0: lakes and rivers)
uniform float u_ice;
uniform sampler2D u_height;  // the terrain's heights: the water's depth per pixel, not per coarse vertex
uniform float u_cell;
// u_time (seconds into the shot: the breakers roll in with it) and u_noise (tiling noise: where a rough sea's
// whitecaps break) come with wet.glsl
uniform float u_waves;  // how the sea runs (renderer.sea_of): 0.3 calm, 0.65 by default, 1 surf, 1.5 rough  // 1: the water is frozen over ("a frozen lake"): matte pale ice dusted with snow
in vec3 v_pos;
in vec4 v_bed;
in float v_sun;
in vec4 v_fog;

// The water's depth over the bed at this pixel: the surface's height less the terrain's (bilinear between its
// cells), so the shore's edge, the shallows and the breakers follow the true waterline; beyond the world's
// border (the sea's apron) the vertices' depth.
float depth_here() {
    vec2 n = vec2(textureSize(u_height, 0));
    vec2 cell = v_pos.xy / u_cell;
    if (any(lessThan(cell, vec2(0.0))) || any(greaterThan(cell, n - 1.0))) return v_bed.a;
    float bed = textureLod(u_height, (cell + 0.5) / n, 0.0).r;
    return max(v_pos.z - bed, 0.0);
}

void main() {
    vec2 p = v_pos.xy;
    float depth = depth_here();
    float px = length(fwidth(p));  // metres per pixel: ripples finer than a pixel fade out instead of aliasing
    float t = u_time;
    float sea = step(0.0001, u_foam);  // seas run with the wind; lakes and rivers keep their ripples
    vec2 g = vec2(cos(p.x * 0.11 + p.y * 0.07 - t * 0.7), cos(p.y * 0.13 - p.x * 0.05 - t * 0.6)) * 0.5 * exp(-px * 0.3)
           + vec2(cos(p.x * 0.43 - p.y * 0.31 + 1.7 - t * 1.4), cos(p.y * 0.47 + p.x * 0.29 + 0.4 - t * 1.3)) * 0.25
             * exp(-px * 1.2);
    float chop = mix(1.0, 0.5 + 0.9 * u_waves, sea);
    vec3 n = normalize(vec3(g * u_rough * chop, 1.0));
    vec3 d = v_pos - u_cam_pos;
    vec3 v = -normalize(d);
    float ndv = max(dot(n, v), 0.02);
    float fresnel = 0.02 + 0.98 * pow(1.0 - ndv, 5.0);
    // shallows over a light bed: the bed's light through the water outshines the sky's glancing reflection,
    // so clear shallows read turquoise from a low eye instead of washed out with the pale sky
    fresnel = min(fresnel, mix(0.22, 0.9, smoothstep(0.3, 12.0, depth)));
    vec3 r = reflect(-v, n);
    r.z = abs(r.z);
    vec3 refl = sky_radiance(r);
    vec3 light = ambient_light(vec3(0.0, 0.0, 1.0)) + u_key_color * 0.15 * v_sun;
    float path = depth * (1.0 + 1.6 / max(ndv, 0.15));  // down to the bed and back up, slanting
    // red is absorbed first: shallow water over a light bed reads turquoise, deep water dark blue
    vec3 trans = exp(-path * u_water_absorb);
    vec3 inscatter = mix(u_water_shallow, u_water_deep, 1.0 - exp(-path * 0.06)) * light;
    // the bed under water is wet, darker than the dry ground the light map was baked for
    vec3 body = v_bed.rgb * 0.8 * trans + inscatter * (1.0 - trans.g);
    vec3 c = mix(body, refl, fresnel);
    if (u_foam > 0.0) {  // the surf line: foam where the sea runs up the shore, broken along it, fading seaward
        float edge = 1.0 - smoothstep(0.006, 0.045, depth);
        vec3 foam = lit_diffuse(vec3(0.82), vec3(0.0, 0.0, 1.0), v_sun, 1.0, 0.0);  // sunlit white water
        float broken = 0.55 + 0.45 * sin(p.x * 0.37 + 1.9 * sin(p.y * 0.21)) * sin(p.y * 0.29 - 1.3 * sin(p.x * 0.17));
        float line = edge * (0.35 + 0.65 * smoothstep(0.2, 0.8, broken)) * exp(-px * 0.05);
        c = mix(c, foam, u_foam * line);
        // breakers: bands of white water along the depth's contours (so parallel to the shore), rolling in
        // towards it with the shot's clock, where the water is shallower than the waves break in
        float h = depth;
        float hb = 0.3 + 1.6 * u_waves;  // metres: waves break where the water is shallower than this
        float zone = 1.0 - smoothstep(0.55 * hb, hb, h);
        float wob = 0.3 * sin(p.x * 0.031 + 1.3 * sin(p.y * 0.023)) + 0.2 * sin(p.y * 0.047 - p.x * 0.017);
        float s = sqrt(h / hb) * 3.0 + wob;
        float fw = length(vec2(dFdx(s), dFdy(s)));  // bands finer than a few pixels fade to their mean
        float f = fract(s + t * 0.09);
        // a sharp crest, its foam trailing seaward (the longer the bigger the waves)
        float band = max(exp(-f * mix(7.0, 3.0, clamp(u_waves - 0.3, 0.0, 1.0))), smoothstep(0.93, 1.0, f));
        band = mix(band, 0.12, smoothstep(0.2, 0.7, fw));
        float gaps = 0.5 + 0.5 * sin(p.x * 0.083 + 2.1 * sin(p.y * 0.051) - t * 0.05)
                         * sin(p.y * 0.071 - 1.7 * sin(p.x * 0.043));
        float breaks = zone * band * smoothstep(0.15, 0.6, gaps + 0.25 * u_waves) * min(u_waves * 1.3, 1.0);
        // beyond the breakers the swell rolls in as long light crests and dark troughs
        float swell = (1.0 - zone) * (1.0 - smoothstep(hb, 5.0 * hb, h)) * (1.0 - smoothstep(0.2, 0.6, fw));
        c *= 1.0 + 0.12 * u_waves * swell * cos(6.2832 * (f - 0.1));
        // a rough sea breaks white far out too: whitecaps on the wave tops
        float caps = textureLod(u_noise, p * vec2(0.031, 0.013) + t * vec2(0.0031, 0.0017), 0.0).r
                   * textureLod(u_noise, p * vec2(0.0071, 0.0049) - t * vec2(0.0007, 0.0011) + 0.37, 0.0).r * 2.2;
        caps = smoothstep(0.62, 0.9, caps) * clamp(u_waves - 0.8, 0.0, 1.0);
        caps = mix(caps, 0.05 * clamp(u_waves - 0.8, 0.0, 1.0), smoothstep(0.5, 2.0, px));  // far: their mean
        c = mix(c, foam, clamp(u_foam * (breaks + caps), 0.0, 1.0));
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

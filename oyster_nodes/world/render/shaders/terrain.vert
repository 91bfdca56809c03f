// Terrain: heights, normals and the baked light (see bake_terrain.frag) are fetched per vertex, from the
// mip level that matches this patch's grid stride (u_lod), and fogged and graded there, so the fragment
// stage does no texture reads and no tone mapping.
in vec3 in_grid;   // col, row (cells from the chunk corner), skirt flag
in vec2 in_chunk;  // per instance: chunk corner col, row
uniform mat4 u_viewproj;
uniform sampler2D u_height;
uniform sampler2D u_lightmap;
uniform sampler2D u_lightmap2;  // the second key moment's (see lit.glsl)
uniform sampler2D u_normals;
uniform float u_cell;
uniform float u_skirt;
uniform int u_lod;
uniform sampler2D u_noise;
uniform sampler2D u_sand;  // 1 on sand (its fine ripples, terrain.frag)
out vec3 v_pos;
out vec3 v_nrm;
out vec3 v_shown;  // display colour
out vec2 v_rock;   // how much strata show; how the display colour scales with the light (see below)
out float v_sand;  // how much of the ground is sand
// wet ground (u_wet > 0), shaded per pixel by terrain.frag: the baked light (linear), the fog (and the apron's
// fade) over it as (in-scattered colour, transmittance), the sky mirrored here, and (wetness of level ground,
// how readily puddles stand, paved, Fresnel of the view)
#ifdef WET
uniform sampler2D u_wet_site;  // puddle sites, paved ground (render/wet.py)
out vec3 v_lin;
out vec4 v_fog;
out vec3 v_sky;
out vec4 v_wet;
#endif

// Beyond the world's border (the apron chunks) the land goes on as the world's mirror image, repeated: a
// cell's height, light and normal are fetched at its mirrored cell, so the land continues without a seam.
ivec2 mirror_cell(ivec2 p, int n) {
    int period = 2 * (n - 1);
    ivec2 q = ((p % period) + period) % period;
    return min(q, period - q);
}

vec2 mirror_sign(ivec2 p, int n) {
    int period = 2 * (n - 1);
    ivec2 q = ((p % period) + period) % period;
    return vec2(q.x > n - 1 ? -1.0 : 1.0, q.y > n - 1 ? -1.0 : 1.0);
}

// Wet ground mirrors the sky: a thin sheen on all level ground, and puddles (from the noise texture) in its
// hollows; coarse patches (far away) take the puddles' mean instead of aliasing them.
vec3 wet_sheen(vec3 lit, vec3 pos, vec3 n) {
    float level = smoothstep(0.93, 0.99, n.z);
    float puddle = smoothstep(0.52, 0.68, textureLod(u_noise, pos.xy * 0.011, 0.0).r);
    puddle = mix(puddle, 0.2, smoothstep(1.0, 3.0, float(u_lod)));
    vec3 v = normalize(pos - u_cam_pos);
    float c = 1.0 - max(-v.z, 0.0);
    float c2 = c * c;
    float fresnel = 0.02 + 0.98 * c2 * c2 * c;
    vec3 sky = sky_radiance(vec3(v.xy, -v.z));
    float wet = u_wet * level;
    return mix(lit * (1.0 - 0.25 * wet * puddle), sky, wet * fresnel * (0.3 + 0.7 * puddle));
}

// The apron fades into the sky's horizon colour toward its outer edge, so the land ends in haze, not a line.
vec3 horizon_fade(vec3 lit, ivec2 p, int n) {
    ivec2 out_cells = max(max(-p, p - ivec2(n - 1)), ivec2(0));
    float beyond = float(max(out_cells.x, out_cells.y)) / float((n - 1) * APRON_WORLDS);
    float t = smoothstep(0.25, 0.95, beyond);
    if (t <= 0.0) return lit;
    vec3 d = normalize(vec3(v_pos.xy - u_cam_pos.xy, 0.0) + vec3(0.0, 0.0, 1e-4));
    return mix(lit, sky_radiance(d), t);
}

void main() {
    int n = textureSize(u_height, 0).x;
    ivec2 p = ivec2(in_chunk + in_grid.xy);
    ivec2 c = mirror_cell(p, n);
    float z = texelFetch(u_height, c, 0).r - in_grid.z * u_skirt;
    v_pos = vec3(vec2(p) * u_cell, z);
    ivec2 m = min(c >> u_lod, textureSize(u_lightmap, u_lod) - 1);
    vec4 lm = texelFetch(u_lightmap, m, u_lod);
    if (u_light_mix > 0.0) lm = mix(lm, texelFetch(u_lightmap2, m, u_lod), u_light_mix);
    vec3 lit = lm.rgb * lm.rgb * 4.0;
    v_nrm = texelFetch(u_normals, m, u_lod).xyz * 2.0 - 1.0;
    v_nrm.xy *= mirror_sign(p, n);
    vec4 fog = fog_at(v_pos);
#ifdef WET
    v_lin = lit;
    // the apron's fade is linear in the light: fold it into the fog
    vec3 fade0 = horizon_fade(vec3(0.0), p, n), keep = horizon_fade(vec3(1.0), p, n) - fade0;
    v_fog = vec4(fog.rgb + fog.a * fade0, fog.a * keep.g);
    vec3 v = normalize(v_pos - u_cam_pos);
    float cv = 1.0 - max(-v.z, 0.0);
    float cv2 = cv * cv;
    v_sky = sky_radiance(vec3(v.xy, -v.z));
    vec2 site = texelFetch(u_wet_site, c, 0).rg;
    v_wet = vec4(u_wet * smoothstep(0.93, 0.99, v_nrm.z), site, 0.02 + 0.98 * cv2 * cv2 * cv);
    v_shown = vec3(0.0);
    v_rock = vec2(lm.a, 1.0);
#else
    if (u_wet > 0.0) lit = wet_sheen(lit, v_pos, v_nrm);
    lit = horizon_fade(lit, p, n);
    v_shown = grade(fogged(lit, fog));
    // the fragment stage darkens the ground (rock strata, bodies' shadows) by a factor f; the display colour
    // then scales about as f^k, with k read off the tone curve here (about 1 in the toe, 1/2 above it, less
    // where fog or highlights compress it)
    const vec3 luma = vec3(0.2126, 0.7152, 0.0722);
    float k = log(max(dot(grade(fogged(lit * 0.6, fog)), luma), 1e-4) / max(dot(v_shown, luma), 1e-4)) / log(0.6);
    v_rock = vec2(lm.a, clamp(k, 0.0, 1.5));
#endif
    v_sand = texelFetch(u_sand, c, 0).r;
    gl_Position = u_viewproj * vec4(v_pos, 1.0);
}

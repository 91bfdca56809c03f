// Terrain (semantic 1): baked light, with sandstone-like strata on rock drawn from height.
uniform uint u_sem;
uniform vec3 u_strata;
#ifdef BLOB_SHADOWS
uniform sampler2D u_blob_map;  // bodies' and agents' soft shadows on a ground patch (1: lit; rim stays 1)
uniform vec3 u_blob_box;       // the patch: x0, y0, texels per metre
#endif
in vec3 v_pos;
in vec3 v_nrm;
in vec3 v_shown;
in vec2 v_rock;
in float v_sand;
#ifdef WET
in vec3 v_lin;
in vec4 v_fog;
in vec3 v_sky;
in vec4 v_wet;

// Wet ground, per pixel, from the baked light darkened by f: a film of water that mirrors the sky more at
// grazing angles, darker and glossier on paved ground; puddles where the ground takes them (v_wet.y), dark
// mirrors of the sky broken by rain's rings; and the streaks of the lights near by (wet.glsl).
vec3 wet_ground(vec3 f) {
    vec2 p = v_pos.xy;
    float px = length(fwidth(p));
    float wet = v_wet.x, paved = v_wet.z, fres = v_wet.w;
    // puddles: a few metres across, more of them where the ground is wetter over tens of metres
    float nz = texture(u_noise, p * 0.043).r * 0.7 + texture(u_noise, p * 0.011).r * 0.3;
    float th = mix(0.86, 0.69, v_wet.y) + 0.1 * (1.0 - u_wet);  // fewer where the ground is less wet
    float puddle = smoothstep(th, th + 0.015 + 0.06 * smoothstep(0.2, 2.0, px), nz) * step(0.01, v_wet.y);
    puddle *= smoothstep(0.2, 0.4, wet);
    vec3 lit = v_lin * f;
    // the film: darker ground (paved most), the sky mirrored more at grazing angles
    vec3 film = mix(lit * (1.0 - 0.55 * wet * paved), v_sky, wet * fres * (0.35 + 0.15 * paved));
    // a puddle: the ground seen dark through the water, and the sky (its upper part more: the low sky is
    // hidden by what stands round it), broken by rain's rings
    vec2 tilt = puddle > 0.0 ? rain_tilt(p, px) : vec2(0.0);
    vec3 sky = mix(v_sky, min(v_sky, u_sky_zenith), 0.5) * (1.0 + 6.0 * (tilt.x + tilt.y));
    float pf = min(fres * 0.9, 0.6);
    vec3 c = mix(film, mix(lit * 0.3, sky, pf), puddle);
    float gloss = max(wet * paved, puddle);  // grass and bare earth scatter the lights' reflections away
    if (u_n_wet_lights > 0 && gloss > 0.02) {
        vec2 rough = mix(vec2(0.3, 0.06), vec2(0.08, 0.025), puddle);
        c += wet_streaks(v_pos, rough, tilt * puddle) * gloss;
    }
    return grade(fogged(c, v_fog));
}
#endif

// Wind ripples on sand: crests about half a metre apart, bending; faded out where a pixel spans a ripple.
float sand_ripples(vec2 p) {
    float px = length(fwidth(p));
    float a = dot(p, vec2(0.83, 0.56)) * 11.0 + 5.0 * sin(dot(p, vec2(-0.31, 0.95)) * 0.33)
            + 1.6 * sin(p.x * 0.9 + p.y * 1.3) + 0.7 * sin(p.x * 2.3 - p.y * 1.9);
    float patchy = 0.45 + 0.55 * smoothstep(-0.6, 0.8, sin(p.x * 0.21 + 2.0 * sin(p.y * 0.17)) * sin(p.y * 0.26 - p.x * 0.09));
    float crest = (sin(a) + 0.35 * sin(2.0 * a + 1.1)) * patchy;
    return crest * (1.0 - smoothstep(0.12, 0.45, px));
}

void main() {
    float z = v_pos.z;
    vec3 f = vec3(1.0);  // what darkens the ground's light here: strata on rock, bodies' shadows
    if (v_rock.x > 0.0) {
        float band = sin(z * 0.9 + 2.2 * sin(z * 0.21)) * 0.6 + sin(z * 2.7 + 1.3) * 0.4;
        f = mix(vec3(1.0), u_strata + (1.0 - u_strata) * (0.5 + 0.5 * band), v_rock.x);
    }
    if (v_sand > 0.02) f *= 1.0 + 0.07 * v_sand * sand_ripples(v_pos.xy);
#ifdef BLOB_SHADOWS
    f *= texture(u_blob_map, (v_pos.xy - u_blob_box.xy) * u_blob_box.z / vec2(textureSize(u_blob_map, 0))).r;
#endif
#ifdef WET
    vec3 shown = wet_ground(f);
#else
    vec3 shown = v_shown * pow(f, vec3(v_rock.y));
#endif
    emit_graded(shown, v_pos, normalize(v_nrm), 0u, u_sem);
}

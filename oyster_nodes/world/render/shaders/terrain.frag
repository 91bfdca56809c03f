// Terrain (semantic 1): baked light, with sandstone-like strata on rock drawn from height, and the detail of
// bare rock faces (cracks, ledges, snow on them) drawn per pixel.
uniform uint u_sem;
uniform vec3 u_strata;
uniform vec3 u_rock;
#define SNOW_OVER_ROCK (vec3(0.82, 0.85, 0.9) / max(u_rock, vec3(0.004)))
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
vec3 wet_ground(vec3 lit) {
    vec2 p = v_pos.xy;
    float px = length(fwidth(p));
    float wet = v_wet.x, paved = v_wet.z, fres = v_wet.w;
    // puddles: a few metres across, more of them where the ground is wetter over tens of metres
    float nz = texture(u_noise, p * 0.043).r * 0.7 + texture(u_noise, p * 0.011).r * 0.3;
    float th = mix(0.86, 0.69, v_wet.y) + 0.1 * (1.0 - u_wet);  // fewer where the ground is less wet
    float puddle = smoothstep(th, th + 0.015 + 0.06 * smoothstep(0.2, 2.0, px), nz) * step(0.01, v_wet.y);
    puddle *= smoothstep(0.2, 0.4, wet);
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

#ifdef ROCK_FACES
// Rock faces, per pixel: on a steep face one cell of the heightfield (and of the baked light) spans metres of
// wall, so its detail is drawn here from the noise texture projected on the two upright planes (y-z and x-z),
// blended by which way the face looks. Returns what darkens or lightens the rock's light: broad patches of
// lighter and darker, warmer and cooler rock; long upright joints; ledges (a lit top over the shadow under its
// lip), broken along their run; pits and weathered knobs. `ledge` returns where snow may lie (0..1).
float tri(vec2 a, vec2 b, vec2 w) {
    float s = 0.0;
    if (w.x > 0.0) s += w.x * textureLod(u_noise, a, 0.0).r;
    if (w.y > 0.0) s += w.y * textureLod(u_noise, b, 0.0).r;
    return s;
}

// Ledges `s` metres apart up a face (their phase bent by `warp`), each running some metres and then breaking
// off: (the ledge's lit top, where snow may lie; the light it adds or takes: the top, the shadow under the next
// ledge's lip), faded to their mean where a pixel spans a good part of a ledge.
vec3 ledges(float z, float s, float warp, float breaks, float sparse, float px) {
    float ph = z / s + warp;
    float fr = fract(ph), id = floor(ph);
    float run = smoothstep(sparse, sparse + 0.15, fract(breaks * 9.0 + fract(sin(id * 12.9898) * 43758.5)));
    float lf = 1.0 - smoothstep(0.12 * s, 0.5 * s, px);
    float top = (1.0 - smoothstep(0.0, 0.3, fr)) * run;
    float under = smoothstep(0.55, 1.0, fr);
    under *= under * run;
    return vec3(mix(0.08, top, lf), lf * (0.35 * top - 0.45 * under), 0.0);
}

vec3 rock_detail(vec3 p, vec3 n, float px, out float ledge) {
    vec2 w = upright_weights(n);
    vec2 a = p.yz, b = p.xz;
    float big = tri(a * (1.0 / 300.0), b * (1.0 / 300.0), w);
    float joint = tri(a * vec2(1.0 / 40.0, 1.0 / 170.0) + 0.31, b * vec2(1.0 / 40.0, 1.0 / 170.0) + 0.57, w);
    float fine = 1.0 - smoothstep(0.04, 0.2, px);
    // (fine enough that the plane the face looks along most carries it alone: one texture read)
    float grain = textureLod(u_noise, (w.x > w.y ? a : b) * (1.0 / 13.0) + 0.13, 0.0).r;
    float t = clamp((big - 0.5) * 3.0, -1.0, 1.0);
    float hue = clamp((joint - 0.5) * 4.0, -1.0, 1.0);
    vec3 f = vec3(1.0 + 0.45 * t) * vec3(1.0 + 0.07 * hue, 1.0, 1.0 - 0.07 * hue);
    // joints: thin dark cracks where the stretched noise crosses its middle
    float jw = 0.012 + 0.5 * px / 40.0;
    float crack = (1.0 - smoothstep(jw, 2.5 * jw, abs(joint - 0.5))) * (1.0 - smoothstep(0.3, 1.5, px));
    // ledges: a coarse set about 11 m apart and a fine one about 3 m, bending with the broad patches
    vec3 l1 = ledges(p.z, 11.0, 2.5 * (big - 0.5) + 0.3 * hue, big, 0.35, px);
    vec3 l2 = ledges(p.z, 2.9, 7.0 * (big - 0.5) + 1.6 * (joint - 0.5), big * 1.7, 0.55, px);
    ledge = max(l1.x, l2.x);
    float relief = l1.y + 0.6 * l2.y - 0.55 * crack;
    f *= 1.0 + relief;
    // pits and weathered knobs
    f *= mix(1.0, 0.75 + 0.5 * grain + 0.25 * smoothstep(0.62, 0.75, grain), fine);
    return f;
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
    float snow_on_rock = 0.0;
#ifdef ROCK_FACES
    vec3 n = normalize(v_nrm);
    float snow_ground = max(-v_sand, 0.0);
    float face = rock_face(n.z, snow_ground);
    if (face > 0.004) {
        float ledge;
        f = mix(f, f * rock_detail(v_pos, n, length(fwidth(v_pos)), ledge), face);
        // snow lies on the ledges, in patches, more where the face is less steep (and on snow ground)
        float snowy = max(u_snow, snow_ground);
        if (snowy > 0.0) {
            float patches = textureLod(u_noise, v_pos.xy * (1.0 / 23.0) + v_pos.z * (1.0 / 31.0), 0.0).r;
            float lie = ledge * (0.6 + 2.0 * patches) + smoothstep(0.45, 0.75, n.z) * 0.6;
            lie = clamp(lie + 0.5 * snowy * smoothstep(0.5, 0.7, patches), 0.0, 1.0);
            snow_on_rock = face * smoothstep(0.0, 0.3, snowy) * smoothstep(0.4, 0.75, lie);
        }
    }
#endif
#ifdef BLOB_SHADOWS
    f *= texture(u_blob_map, (v_pos.xy - u_blob_box.xy) * u_blob_box.z / vec2(textureSize(u_blob_map, 0))).r;
#endif
#ifdef WET
    vec3 lit = v_lin * f;
    if (snow_on_rock > 0.0) lit = mix(lit, v_lin * SNOW_OVER_ROCK, snow_on_rock);
    vec3 shown = wet_ground(lit);
#else
    vec3 shown = v_shown * pow(f, vec3(v_rock.y));
    // snow's display colour from the rock's, by the tone curve's local slope
    // (damped: snow is far brighter), half toward grey, as the tone curve's shoulder whitens bright light
    if (snow_on_rock > 0.0) {
        vec3 snow = min(v_shown * pow(SNOW_OVER_ROCK, vec3(0.8 * v_rock.y)), vec3(1.0));
        snow = mix(snow, vec3(dot(snow, vec3(0.2126, 0.7152, 0.0722))), 0.5);
        shown = mix(shown, snow, snow_on_rock);
    }
#endif
    emit_graded(shown, v_pos, normalize(v_nrm), 0u, u_sem);
}

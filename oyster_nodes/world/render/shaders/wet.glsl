// Wet surfaces mirroring the lights near them (render/wet.py picks them per frame): a street lamp's lantern,
// a car's lamps, a building's lit wall (a horizontal segment: its part in the view's vertical plane is
// mirrored). A wet road is a rough mirror whose facets tilt more towards and away from the viewer than across,
// so each light's reflection is a streak drawn out towards the viewer (a glossy lobe, narrow across and long
// along the view); a puddle's is tighter, broken by ripples where rain falls.
#define MAX_WET_LIGHTS 16
uniform int u_n_wet_lights;
uniform vec4 u_wl_pos[MAX_WET_LIGHTS];   // xyz: the point (a segment's start); w: 1 for a segment
uniform vec4 u_wl_span[MAX_WET_LIGHTS];  // xy: the segment's run (0 for a point)
uniform vec4 u_wl_rgb[MAX_WET_LIGHTS];   // linear colour and power at 1 m
uniform float u_rain;   // how hard rain falls (0: none): rings on puddles
uniform float u_time;   // seconds into the shot
uniform sampler2D u_noise;

// The light the wet lights reflect at `pos` (a level surface) towards the camera; `rough` the lobe's slope
// spread (along the view, across it), `tilt` the surface's slope here (ripples).
vec3 wet_streaks(vec3 pos, vec2 rough, vec2 tilt) {
    vec3 v = normalize(u_cam_pos - pos);
    vec2 t = normalize(pos.xy - u_cam_pos.xy + vec2(1e-5, 0.0));  // the view's way along the ground
    vec2 b = vec2(-t.y, t.x);
    vec2 inv = 1.0 / rough;
    vec3 sum = vec3(0.0);
    for (int i = 0; i < u_n_wet_lights; ++i) {
        vec3 q = u_wl_pos[i].xyz;
        vec2 e = u_wl_span[i].xy;
        vec2 r = q.xy - pos.xy;
        float den = t.x * e.y - t.y * e.x;
        if (abs(den) > 1e-4) q.xy += e * clamp((t.y * r.x - t.x * r.y) / den, 0.0, 1.0);
        vec3 l = q - pos;
        float d2 = dot(l, l);
        if (l.z <= 0.0 || d2 > 40000.0) continue;
        float d = sqrt(d2);
        l /= d;
        // the facet slope that mirrors this light to the eye (the half vector's, unnormalised: its slope is
        // the same): first across the view, where the lobe is narrow and most lights fall outside it
        vec3 h = l + v;
        vec2 s = h.xy / max(h.z, 0.05) - tilt;
        float sb = dot(s, b) * inv.y;
        if (abs(sb) > 3.0) continue;
        float sa = dot(s, t) * inv.x;
        float lobe = exp(-(sa * sa + sb * sb));
        float hv = 1.0 - max(dot(h, v), 0.0) * inversesqrt(max(dot(h, h), 1e-6));
        float hv2 = hv * hv;
        float fres = 0.02 + 0.98 * hv2 * hv2 * hv;
        sum += u_wl_rgb[i].rgb * (lobe * fres / (u_wl_pos[i].w > 0.0 ? 1.0 + d : 1.0 + d2));
    }
    return sum;
}

// Rain's rings on standing water: the surface's slope (x, y), fading out where a pixel spans a ring.
vec2 rain_tilt(vec2 p, float px) {
    if (u_rain <= 0.0) return vec2(0.0);
    float fade = 1.0 - smoothstep(0.04, 0.25, px);
    if (fade <= 0.0) return vec2(0.0);
    vec2 g = vec2(0.0);
    for (int k = 0; k < 2; ++k) {  // two layers of cells, one drop's ring in each cell at its own place and moment
        vec2 q = p * 1.6 + float(k) * vec2(0.5, 0.37);
        vec2 c = floor(q);
        uvec2 u = uvec2(ivec2(c) + 1048576);
        uint h = (u.x * 73856093u) ^ (u.y * 19349663u) ^ (uint(k) * 83492791u);
        h ^= h >> 13;
        h *= 0x5bd1e995u;
        h ^= h >> 15;
        float hx = float(h & 0xffu) / 255.0, hy = float((h >> 8) & 0xffu) / 255.0;
        vec2 d = q - (c + 0.3 + 0.4 * vec2(hx, hy));
        float dist = length(d) + 1e-4;
        float age = fract(u_time * 0.9 + hx * 7.0 + hy * 3.0);
        float off = dist - age * 0.3;
        g += d / dist * (sin(60.0 * off) * exp(-20.0 * abs(off)) * (1.0 - age));
    }
    return g * 0.05 * min(u_rain, 1.0) * fade;
}

// Structures and imported meshes: few pixels, so they are lit per pixel with shadows and lit windows.
uniform uint u_sem;
in vec3 v_pos;
in vec3 v_nrm;
in vec3 v_col;
flat in float v_part;
flat in uint v_id;
flat in float v_var;
in vec4 v_fog;
// 1: neon is named, so a share of the lit windows and most shopfronts glow magenta or cyan
uniform float u_neon;

// An integer hash (the same on every GL): 16 bits of it as 0..1.
float hash01(uvec3 p) {
    uint h = (p.x * 73856093u) ^ (p.y * 19349663u) ^ (p.z * 83492791u);
    h ^= h >> 13;
    h *= 0x5bd1e995u;
    h ^= h >> 15;
    return float(h & 0xffffu) / 65535.0;
}

// A church window (style 4, meshes.py _church): a pointed arch (v_col.z's fraction, times 4, is where it springs)
// of leaded glass in a stone frame, diamond quarries of stained colour between the cames; by day dark glass with a
// faint sky, at dusk and night lit warm from inside through its colours (most of a church's windows).
vec3 church_window(vec3 n, float fu, float fv, uvec3 key) {
    float spring = clamp((v_col.z - 4.0) * 4.0, 0.0, 0.98);
    float t = max(fv - spring, 0.0) / (1.0 - spring);
    float side = max(fu, 1.0 - fu);
    float arch = side * side + 0.75 * t * t;  // 1 on the arch (an equilateral one in the panel's own shares)
    float sh = dot(n, u_light_dir) > 0.0 ? shadow_at(v_pos, n) : 0.0;
    float frame = step(0.84, arch) + step(fv, 0.04) + step(abs(fu - 0.5), 0.025) * step(fv, spring);
    if (frame > 0.0) return lit_diffuse(vec3(0.05, 0.048, 0.045), n, sh, 0.9, 0.0);
    vec2 q = vec2(fu * 4.0 + fv * 9.0, fu * 4.0 - fv * 9.0);
    vec2 cell = floor(q), f = fract(q);
    float came = step(min(min(f.x, 1.0 - f.x), min(f.y, 1.0 - f.y)), 0.07);
    float h = hash01(uvec3(uint(cell.x + 64.0), uint(cell.y + 64.0), key.z));
    vec3 glass = h < 0.4 ? vec3(0.75, 0.45, 0.08) : h < 0.6 ? vec3(0.7, 0.1, 0.05) : h < 0.78 ?
        vec3(0.08, 0.15, 0.6) : h < 0.88 ? vec3(0.1, 0.4, 0.12) : vec3(0.8, 0.6, 0.2);  // warm glass, most of it
    vec3 v = normalize(u_cam_pos - v_pos);
    float fres = 0.04 + 0.96 * pow(1.0 - max(dot(n, v), 1e-3), 5.0);
    vec3 c = mix(glass * 0.03 * ambient_light(n), sky_radiance(reflect(-v, n)) * 0.5, fres);
    float lit = step(hash01(uvec3(key.z, 13u, 29u)), 0.9);  // most churches have their lights on
    c += (vec3(1.0, 0.62, 0.3) * 0.2 + glass * 0.9) * 0.4 * lit * (1.0 - 0.7 * fres) * smoothstep(0.05, 0.6, u_night);
    return came > 0.0 ? c * 0.15 : c;
}

// A highrise's windows on a FACADE quad (meshes.py _facade_quads): v_col = (pane and the place across it,
// storey and the height in it, style: 0 a punched window, 1 a curtain wall, 2 shopfronts, 3 an office tower's
// curtain wall of reflective blue glass, its floors marked by a band of blue-grey spandrel). Frames, mullions
// and a transom of metal; panes of glass that reflect the sky (each tilted a little its own way), with a
// glint of the key light and a dark room behind, lit warm or cool at dusk and night for some rooms of each
// building (fixed by the building, storey and pane).
vec3 facade(vec3 n) {
    float style = floor(v_col.z + 0.5);
    float pane = floor(v_col.x), storey = floor(v_col.y);
    float fu = v_col.x - pane, fv = v_col.y - storey;
    uvec3 key = uvec3(uint(pane + 4096.0), uint(storey), v_id);
    if (style == 4.0) return church_window(n, fu, fv, key);
    float building = hash01(uvec3(v_id, 7u, 11u));
    // metal: frames round each pane, a mullion down the middle of a window, a transom; a curtain wall's
    // spandrel (the band hiding a floor slab) is opaque dark glass
    bool tower = style == 3.0;
    float fw = style == 2.0 ? 0.035 : tower ? 0.03 : 0.045;
    float frame = step(fu, fw) + step(1.0 - fw, fu) + step(fv, 0.05) + step(0.95, fv);
    if (style == 0.0) frame += step(abs(fu - 0.5), 0.018) + step(abs(fv - 0.68), 0.02);
    if (style == 1.0) frame += step(abs(fv - 0.24), 0.012);
    if (tower) frame += step(abs(fv - 0.22), 0.015);
    bool spandrel = (style == 1.0 && fv < 0.24) || (tower && fv < 0.22);
    vec3 metal = tower ? vec3(0.3, 0.32, 0.36) : building < 0.5 ? vec3(0.025, 0.026, 0.028) : vec3(0.36, 0.35, 0.33);
    float sh = dot(n, u_light_dir) > 0.0 ? shadow_at(v_pos, n) : 0.0;
    if (frame > 0.0) return lit_diffuse(metal, n, sh, 0.9, 0.0);
    vec3 v = normalize(u_cam_pos - v_pos);
    float h1 = hash01(key), h2 = hash01(key + uvec3(0u, 0u, 9973u));
    vec3 pn = normalize(n + 0.035 * vec3(h1 - 0.5, h2 - 0.5, 0.5 * h1 - 0.25));
    float ndv = max(dot(pn, v), 1e-3);
    float f0 = tower ? 0.2 : style == 1.0 ? 0.1 : 0.05;
    float fres = f0 + (1.0 - f0) * pow(1.0 - ndv, 5.0);
    vec3 r = reflect(-v, pn);
    vec3 sky = sky_radiance(r);
    vec3 hv = normalize(u_light_dir + v);
    float glint = pow(max(dot(pn, hv), 0.0), 400.0) * 40.0 * sh;
    vec3 tint = tower ? vec3(0.42, 0.62, 0.9) : style == 1.0 ? vec3(0.55, 0.7, 0.75) : vec3(0.8, 0.85, 0.85);
    vec3 room = vec3(0.018, 0.017, 0.016) * (0.5 + h2) * ambient_light(n) * 2.0;
    if (tower) room = vec3(0.012, 0.02, 0.034) * (0.6 + 0.8 * h2) * ambient_light(n) * 2.0;  // blue-tinted glass
    if (spandrel) room = tower ? lit_diffuse(vec3(0.05, 0.07, 0.1), n, sh, 0.9, 0.0) : vec3(0.01);
    vec3 c = mix(room, sky * tint, fres) + u_key_color * glint * fres;
    // rooms with their lights on: a share of each building's, more of the shops'
    float share = style == 2.0 ? 0.8 : tower ? 0.3 + 0.25 * hash01(uvec3(v_id, uint(storey), 3u)) : 0.25 + 0.4 * building;
    if (!spandrel && h1 < share) {
        vec3 lamp = h2 < 0.7 ? vec3(1.0, 0.6, 0.28) : vec3(0.75, 0.88, 1.0);
        float glow = 0.35 * (0.35 + 0.65 * h2) * (1.0 - fres) * smoothstep(0.1, 0.7, u_night);
        float neon = hash01(key + uvec3(0u, 0u, 31337u));
        if (u_neon > 0.0 && neon < (style == 2.0 ? 0.85 : 0.35)) {  // neon: saturated and brighter
            lamp = hash01(uvec3(v_id, uint(storey), 5u)) < 0.5 ? vec3(1.0, 0.05, 0.6) : vec3(0.02, 0.75, 1.0);
            glow *= style == 2.0 ? 1.5 : 1.2;
        }
        c += lamp * glow * (0.4 + 0.6 * smoothstep(0.2, 0.9, fv));  // the lit ceiling seen at the top
    }
    return c;
}

// Rain on a structure's level tops (a quay, a pier's deck, a flat roof): darker, a sheen of the sky at grazing
// angles, and the streaks of the lights near by (wet.glsl).
vec3 wet_top(vec3 c, vec3 n) {
    float up = u_wet * smoothstep(0.8, 0.95, n.z);
    if (up <= 0.0) return c;
    vec3 v = normalize(u_cam_pos - v_pos);
    float cv = 1.0 - max(dot(n, v), 0.0);
    float cv2 = cv * cv;
    float fres = 0.02 + 0.98 * cv2 * cv2 * cv;
    c = mix(c * (1.0 - 0.35 * up), sky_radiance(reflect(-v, n)), up * fres * 0.4);
    if (u_n_wet_lights > 0) c += wet_streaks(v_pos, vec2(0.3, 0.06), vec2(0.0)) * up * 0.8;
    return c;
}

void main() {
    vec3 n = normalize(gl_FrontFacing ? v_nrm : -v_nrm);
    if (v_part == 4.0) {
        emit(fogged(facade(n), v_fog), v_pos, n, v_id, u_sem);
        return;
    }
    vec3 albedo = snow_on(v_col * (0.85 + 0.3 * v_var), n.z);
    float sh = dot(n, u_light_dir) > 0.0 ? shadow_at(v_pos, n) : 0.0;
    vec3 c = lit_diffuse(albedo, n, sh, 0.9, 0.0);
    if (v_part == 3.0) {  // glass: a sky reflection by day, warm light inside at night
        vec3 v = normalize(u_cam_pos - v_pos);
        float fres = 0.06 + 0.94 * pow(1.0 - max(dot(n, v), 0.0), 5.0);
        c = mix(c, sky_radiance(reflect(-v, n)) * 0.8, fres);
        c += vec3(1.0, 0.55, 0.2) * 0.9 * u_night * step(0.3, v_var);
    }
    if (u_wet > 0.0 && v_part == 0.0) c = wet_top(c, n);
    if (v_part == 2.0) c += albedo * (0.4 + 14.0 * u_night);
    emit(fogged(c, v_fog), v_pos, n, v_id, u_sem);
}

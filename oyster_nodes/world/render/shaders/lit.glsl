// Light shared by the vertex and fragment stages. Colours are linear RGB until tone mapping.
uniform vec3 u_cam_pos;
uniform vec3 u_sun_dir;
uniform vec3 u_light_dir;  // the shadow-casting light: the sun by day, the moon by night
uniform vec3 u_key_color;
uniform vec3 u_amb_sky;
uniform vec3 u_amb_ground;
uniform float u_night;
uniform float u_snow;
uniform float u_wet;
uniform mat4 u_light_vp;
uniform float u_shadow_texel;
uniform sampler2DShadow u_shadow;
// While the light changes over a shot, shadows (and the terrain's baked light) are those of two key
// moments, blended by u_light_mix: the second key's shadow map and light matrix
uniform float u_light_mix;
uniform mat4 u_light_vp2;
uniform float u_shadow_texel2;
uniform sampler2DShadow u_shadow2;

vec3 ambient_light(vec3 n) {
    return mix(u_amb_ground, u_amb_sky, 0.5 + 0.5 * n.z);
}

float shadow_tap(sampler2DShadow map, mat4 vp, float texel, vec3 pos, vec3 n) {
    float ndl = dot(n, u_light_dir);
    vec3 p = pos + n * texel * (1.5 + 2.0 * (1.0 - abs(ndl)));
    vec3 c = (vp * vec4(p, 1.0)).xyz * 0.5 + 0.5;  // orthographic: w = 1
    if (c.x <= 0.0 || c.x >= 1.0 || c.y <= 0.0 || c.y >= 1.0 || c.z >= 1.0) return 1.0;
    return texture(map, vec3(c.xy, c.z - 0.00004));  // linear filtering: 2x2 percentage-closer
}

float shadow_at(vec3 pos, vec3 n) {
    float s = shadow_tap(u_shadow, u_light_vp, u_shadow_texel, pos, n);
    if (u_light_mix > 0.0) s = mix(s, shadow_tap(u_shadow2, u_light_vp2, u_shadow_texel2, pos, n), u_light_mix);
    return s;
}

// Diffuse light on a surface with albedo; wrap > 0 lets light bleed past the terminator (foliage).
vec3 lit_diffuse(vec3 albedo, vec3 n, float sh, float ao, float wrap) {
    float ndl = dot(n, u_light_dir);
    float diff = max((ndl + wrap) / (1.0 + wrap), 0.0);
    return albedo * (u_key_color * diff * sh + ambient_light(n) * ao);
}

// How much of the ground with normal height nz is a bare rock face, drawn in the world's rock colour with
// per-pixel cracks and ledges (terrain.frag): from about 37 to 52 degrees; on snow ground (snowy 1), where snow
// holds on steeper slopes, from 53 to 62.
float rock_face(float nz, float snowy) {
    return 1.0 - smoothstep(mix(0.62, 0.47, snowy), mix(0.8, 0.6, snowy), nz);
}

// A rock face's detail is the noise texture projected on the two upright planes (y-z and x-z): their weights for
// a face with normal n, a plane dropped where the other carries nearly all (one texture read instead of two).
vec2 upright_weights(vec3 n) {
    vec2 w = abs(n.xy);
    w *= w;
    w *= w;
    w /= w.x + w.y + 1e-6;
    w = max(w - 0.15, 0.0);
    return w / (w.x + w.y + 1e-6);
}

vec3 snow_on(vec3 albedo, float up) {
    return mix(albedo * (1.0 - 0.35 * u_wet), vec3(0.82, 0.85, 0.9), u_snow * smoothstep(0.55, 0.85, up));
}

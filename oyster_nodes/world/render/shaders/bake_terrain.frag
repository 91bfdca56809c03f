// Bakes the terrain's light into its own texture space, once per world and light: albedo, ground detail,
// snow and wetness, soft sun shadows (3x3 percentage-closer taps) and ambient occlusion.
// Output rgb: sqrt(linear radiance / 4); a: how much of the strata pattern (rock) shows.
uniform sampler2D u_height;
uniform sampler2D u_albedo;
uniform sampler2D u_normals;
uniform sampler2D u_noise;
uniform sampler2D u_lamps;  // street lamps' light on the ground (lit at night)
uniform float u_cell;
layout(location = 0) out vec4 o_light;
// the share of a low sun's light upright grass blades catch (their average over all ways they face, the
// light through a blade as well as on it)
const float GRASS_BLADE_LIGHT = 0.55;

float soft_shadow(vec3 pos, vec3 n) {
    float s = 0.0;
    for (int k = 0; k < 9; ++k) {
        vec2 o = vec2(float(k % 3) - 1.0, float(k / 3) - 1.0) * 0.35 * u_cell;
        s += shadow_at(pos + vec3(o, 0.0), n);
    }
    return s / 9.0;
}

void main() {
    ivec2 c = ivec2(gl_FragCoord.xy);
    vec3 pos = vec3(vec2(c) * u_cell, texelFetch(u_height, c, 0).r);
    vec4 nt = texelFetch(u_normals, c, 0);
    vec3 n = normalize(nt.xyz * 2.0 - 1.0);
    vec4 a = texelFetch(u_albedo, c, 0);
    vec3 albedo = a.rgb * a.rgb;
    float detail = texture(u_noise, pos.xy * 0.021).r * 0.6 + texture(u_noise, pos.xy * 0.11).r * 0.4;
    albedo *= 0.8 + 0.4 * detail;
    float up = n.z + 0.25 * (detail - 0.5);
    // snow lies on ground up to about 45 degrees and slides off by 60 (steeper than on plants and roofs)
    float snow = u_snow * smoothstep(0.5, 0.7, up);
    albedo = mix(albedo * (1.0 - 0.35 * u_wet), vec3(0.82, 0.85, 0.9), snow);
    float sh = dot(n, u_light_dir) > -0.05 ? soft_shadow(pos, n) : 0.0;
    vec3 c_lin = lit_diffuse(albedo, n, sh, nt.a, 0.0);
    // grass blades stand up out of the ground: a low sun lights them as it lights a wall, not the flat soil
    // beneath (a field glows at golden hour); by a high sun the ground's own light is the larger
    float grassy = smoothstep(0.02, 0.08, albedo.g - max(albedo.r, albedo.b)) * (1.0 - snow);
    float ndl = max(dot(n, u_light_dir), 0.0);
    float blades = GRASS_BLADE_LIGHT * sqrt(max(1.0 - u_light_dir.z * u_light_dir.z, 0.0)) * step(0.0, u_light_dir.z);
    c_lin += albedo * u_key_color * sh * grassy * max(blades - ndl, 0.0);
    c_lin += albedo * vec3(1.0, 0.62, 0.28) * 1.2 * u_night * texelFetch(u_lamps, c, 0).r;
    o_light = vec4(sqrt(clamp(c_lin * 0.25, 0.0, 1.0)), a.a * (1.0 - snow));
}

in vec3 in_pos;
in float in_depth;  // water depth above the bed, metres
uniform mat4 u_viewproj;
uniform sampler2D u_lightmap;
uniform sampler2D u_lightmap2;
uniform float u_cell;
out vec3 v_pos;
out vec4 v_bed;  // rgb: lit bed colour, a: water depth
out float v_sun;
out vec4 v_fog;

void main() {
    v_pos = in_pos;
    vec2 uv = (in_pos.xy / u_cell + 0.5) / vec2(textureSize(u_lightmap, 0));
    uv = 1.0 - abs(mod(uv, 2.0) - 1.0);  // the mirrored water beyond the border reads the mirrored bed
    vec3 lm = textureLod(u_lightmap, uv, 2.0).rgb;
    if (u_light_mix > 0.0) lm = mix(lm, textureLod(u_lightmap2, uv, 2.0).rgb, u_light_mix);
    v_bed = vec4(lm * lm * 4.0, in_depth);
    v_sun = shadow_at(in_pos, vec3(0.0, 0.0, 1.0));
    v_fog = fog_at(in_pos);
    gl_Position = u_viewproj * vec4(v_pos, 1.0);
}

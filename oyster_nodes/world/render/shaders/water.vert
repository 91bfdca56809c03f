in vec3 in_pos;
in float in_depth;  // water depth above the bed, metres
uniform mat4 u_viewproj;
uniform sampler2D u_lightmap;
uniform sampler2D u_lightmap2;
uniform float u_cell;
uniform float u_time;  // seconds into the shot
uniform float u_waves;  // how the sea runs: 0.3 calm, 0.65 by default, 1 surf, 1.5 rough
uniform float u_foam;  // > 0 on a sea (surf breaks on its shore)
out vec3 v_pos;
out vec4 v_bed;  // rgb: lit bed colour, a: water depth
out float v_sun;
out vec4 v_fog;

void main() {
    v_pos = in_pos;
    if (u_foam > 0.0 && in_depth < 0.6) {  // the swash: the spent wave runs up the sand and slides back
        float run = 0.5 + 0.5 * sin(u_time * 0.55 + in_pos.x * 0.021 + 1.7 * sin(in_pos.y * 0.013));
        v_pos.z += u_waves * 0.16 * (1.0 - in_depth / 0.6) * run;
    }
    vec2 uv = (in_pos.xy / u_cell + 0.5) / vec2(textureSize(u_lightmap, 0));
    uv = 1.0 - abs(mod(uv, 2.0) - 1.0);  // the mirrored water beyond the border reads the mirrored bed
    vec3 lm = textureLod(u_lightmap, uv, 2.0).rgb;
    if (u_light_mix > 0.0) lm = mix(lm, textureLod(u_lightmap2, uv, 2.0).rgb, u_light_mix);
    v_bed = vec4(lm * lm * 4.0, in_depth);
    v_sun = shadow_at(in_pos, vec3(0.0, 0.0, 1.0));
    v_fog = fog_at(in_pos);
    gl_Position = u_viewproj * vec4(v_pos, 1.0);
}

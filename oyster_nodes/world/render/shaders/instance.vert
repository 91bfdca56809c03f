// Scattered instances, lit, fogged and graded per vertex (their meshes are small and flat-shaded; this keeps pixels
// cheap).
in vec3 in_pos;
in vec3 in_nrm;
in vec3 in_col;
in float in_part;
in uint in_index;  // per instance: index into the instance table
uniform mat4 u_viewproj;
uniform sampler2D u_inst;  // two RGBA32F texels per instance: (x, y, z, yaw), (scale, variation, 0, 0)
uniform float u_autumn;
uniform vec2 u_sway;   // this frame's plant bend, radians (x, y)
uniform float u_time;  // seconds into the shot
uniform float u_bend;  // 1 for vegetation, 0 for rocks and props
uniform float u_card;  // 1: the mesh is a card (in the plane x = 0, facing +x) turned towards the camera
out vec3 v_pos;
out vec3 v_nrm;
out vec3 v_shown;  // display colour: lit, fogged and graded here
flat out uint v_id;

vec3 albedo_of(float var, float dry) {
    vec3 albedo = in_col * (0.8 + 0.4 * var);
    if (in_part == 1.0) {  // foliage: per-instance hue shift, autumn colours
        albedo *= vec3(0.85 + 0.35 * var, 1.0, 0.75 + 0.4 * (1.0 - var));
        // some small plants of a kind are drier than others: their green turns towards straw
        albedo = mix(albedo, vec3(0.72, 0.6, 0.3) * dot(albedo, vec3(0.45, 0.5, 0.05)) * 1.7, u_vary.z * dry);
        // an autumn wood is a mix: crimson and rust, orange, gold and lemon, and a few trees still green
        // (var under 0.14); each tree takes one colour of the band its variation falls in
        vec3 fall = mix(vec3(0.34, 0.035, 0.025), vec3(0.5, 0.1, 0.03), smoothstep(0.14, 0.36, var));
        fall = mix(fall, vec3(0.6, 0.22, 0.03), smoothstep(0.36, 0.5, var));
        fall = mix(fall, vec3(0.64, 0.42, 0.05), smoothstep(0.56, 0.72, var));
        fall = mix(fall, vec3(0.5, 0.5, 0.08), smoothstep(0.82, 0.98, var));
        fall *= 0.85 + 0.3 * fract(var * 7.31);
        albedo = mix(albedo, fall, u_autumn * smoothstep(0.1, 0.16, var));
    }
    return albedo;
}

void main() {
    int w = textureSize(u_inst, 0).x;
    int t = int(in_index) * 2;
    vec4 a = texelFetch(u_inst, ivec2(t % w, t / w), 0);
    vec4 b = texelFetch(u_inst, ivec2((t + 1) % w, (t + 1) / w), 0);
    float cy = cos(a.w), sy = sin(a.w);
    if (u_card > 0.5) {
        vec2 to_cam = normalize(u_cam_pos.xy - a.xy + vec2(1e-4, 0.0));
        cy = to_cam.x;
        sy = to_cam.y;
    }
    mat2 rot = mat2(cy, sy, -sy, cy);
    vec3 p = plant_shape(in_pos * b.x, a.xy);
    v_pos = vec3(rot * p.xy, p.z) + a.xyz;
    if (u_bend * dot(u_sway, u_sway) > 0.0) {  // bend grows with height; each plant flutters with its own phase
        vec2 bend = u_sway * (1.0 + 0.25 * sin(u_time * 1.9 + 6.2832 * b.y));
        v_pos.xy += bend * p.z * min(p.z / 4.0, 1.0) * u_bend;
    }
    v_nrm = vec3(rot * in_nrm.xy, in_nrm.z);
    v_id = in_index + 1u;
    vec3 albedo = snow_on(albedo_of(b.y, u_vary.z > 0.0 ? smoothstep(0.4, 1.0, plant_noise(a.yx).x) : 0.0), v_nrm.z);
    float foliage = in_part == 1.0 ? 1.0 : 0.0;
    float ao = 0.55 + 0.45 * clamp(in_pos.z * 0.25, 0.0, 1.0);
    float sh = shadow_at(v_pos, v_nrm);
    vec3 lit = lit_diffuse(albedo, v_nrm, sh, ao, 0.45 * foliage);
    if (in_part == 2.0) lit += albedo * (0.4 + 14.0 * u_night);
    if (in_part == 3.0) {  // glass (a vehicle's): the sky it reflects, more at grazing angles, and the key's glint
        vec3 v = normalize(u_cam_pos - v_pos);
        float fres = 0.1 + 0.9 * pow(1.0 - max(dot(v_nrm, v), 0.0), 5.0);
        float glint = pow(max(dot(reflect(-u_light_dir, v_nrm), v), 0.0), 80.0) * 6.0 * sh;
        lit = mix(lit, sky_radiance(reflect(-v, v_nrm)) * 0.8, fres) + u_key_color * glint * fres;
    }
    v_shown = grade(fogged(lit, fog_at(v_pos)));
    gl_Position = u_viewproj * vec4(v_pos, 1.0);
}

// Imported meshes as authored: glTF's metallic-roughness materials (base colour and its texture, vertex colours,
// metallic-roughness texture, normal map, emission) lit by the key light with its shadows, the sky's diffuse
// light and a reflection of the sky. Few pixels in most frames, so everything is per pixel here.
uniform uint u_sem;
uniform vec4 u_base;         // linear base colour factor
uniform float u_metallic;
uniform float u_roughness;
uniform vec3 u_emissive;
uniform float u_normal_scale;
uniform int u_maps;          // 1: base colour texture, 2: metallic-roughness texture, 4: normal map
uniform sampler2D u_base_tex;
uniform sampler2D u_mr_tex;
uniform sampler2D u_normal_tex;
uniform int u_glass;         // 0 opaque; glass (see gpu_scene.draw_glass): 1 the light let through, 2 the light
                             // reflected, 3 ids and depth only
uniform float u_transmission;  // the share of light a glass lets through
uniform vec3 u_rim_dir;      // a rim light from behind (a studio's), unshadowed; black: none
uniform vec3 u_rim_color;
in vec3 v_pos;
in vec3 v_nrm;
in vec4 v_col;
in vec2 v_uv;
flat in uint v_id;
in vec4 v_fog;

const float PI = 3.14159265;

// The tangent frame from screen-space derivatives of position and uv (no tangents stored), applied to a
// tangent-space normal from the map.
vec3 mapped_normal(vec3 n, vec3 tn) {
    vec3 dp1 = dFdx(v_pos), dp2 = dFdy(v_pos);
    vec2 du1 = dFdx(v_uv), du2 = dFdy(v_uv);
    vec3 s1 = cross(dp2, n), s2 = cross(n, dp1);
    vec3 t = s1 * du1.x + s2 * du2.x;
    vec3 b = s1 * du1.y + s2 * du2.y;
    float k = inversesqrt(max(max(dot(t, t), dot(b, b)), 1e-20));
    vec3 m = normalize(t * k * tn.x + b * k * tn.y + n * tn.z);
    return dot(m, m) > 0.5 ? m : n;
}

// GGX specular for the key light, times pi (the scene's lights are scaled so that Lambert is albedo * E).
vec3 key_specular(vec3 n, vec3 v, vec3 l, vec3 f0, float rough) {
    vec3 h = normalize(l + v);
    float ndl = max(dot(n, l), 0.0), ndv = max(dot(n, v), 1e-3), ndh = max(dot(n, h), 0.0);
    float a = rough * rough, a2 = a * a;
    float d = ndh * ndh * (a2 - 1.0) + 1.0;
    float dist = a2 / (PI * d * d);
    float k = (rough + 1.0) * (rough + 1.0) / 8.0;
    float vis = 1.0 / ((ndl * (1.0 - k) + k) * (ndv * (1.0 - k) + k) * 4.0);
    vec3 f = f0 + (1.0 - f0) * pow(1.0 - max(dot(v, h), 0.0), 5.0);
    return PI * dist * vis * f * ndl;
}

void main() {
    vec3 n = normalize(gl_FrontFacing ? v_nrm : -v_nrm);
    vec4 base = u_base * v_col;
    if ((u_maps & 1) != 0) {
        vec4 t = texture(u_base_tex, v_uv);
        base *= vec4(pow(t.rgb, vec3(2.2)), t.a);
    }
    float metal = u_metallic, rough = u_roughness;
    if ((u_maps & 2) != 0) {
        vec4 t = texture(u_mr_tex, v_uv);
        rough *= t.g;
        metal *= t.b;
    }
    if ((u_maps & 4) != 0) {
        vec3 tn = texture(u_normal_tex, v_uv).xyz * 2.0 - 1.0;
        n = mapped_normal(n, normalize(vec3(tn.xy * u_normal_scale, tn.z)));
    }
    rough = clamp(rough, 0.045, 1.0);
    vec3 v = normalize(u_cam_pos - v_pos);
    if (dot(n, v) < 0.0) n = normalize(n - 1.01 * dot(n, v) * v);  // a mapped normal turned away: bring it back
    float ndv = max(dot(n, v), 1e-3);
    vec3 f0 = mix(vec3(0.04), base.rgb, metal);
    vec3 diffuse = base.rgb * (1.0 - metal);
    if (u_glass == 3) {  // the nearest glass surface into the depth, normal and id passes (no colour)
        emit_graded(vec3(0.0), v_pos, n, v_id, u_sem);
        return;
    }
    if (u_glass == 1) {
        // the light a glass lets through, multiplied over what is behind it: tinted by its colour (a display
        // colour, as the frame behind is) along a path through it (half at its near face, half at its far one)
        // that lengthens at grazing angles, less what its surface reflects (Schlick's Fresnel): clear glass
        // shows dark edges and a bright middle
        float fres = 0.04 + 0.96 * pow(1.0 - ndv, 5.0);
        vec3 tint = sqrt(clamp(base.rgb, 0.0, 1.0));
        vec3 through = pow(max(tint, vec3(1e-3)), vec3(0.25 + 0.25 / max(ndv, 0.12)));  // half a path a face
        emit_graded(through * (1.0 - fres) * u_transmission, v_pos, n, v_id, u_sem);
        return;
    }
    // glass takes no shadow from the shadow map: what shades it there is mostly glass round it (a bottle's walls
    // over its scent), which lets the light through (and a map's texels speckle across surfaces so close)
    float sh = dot(n, u_light_dir) > 0.0 ? (u_glass != 0 ? 1.0 : shadow_at(v_pos, n)) : 0.0;
    vec3 c = lit_diffuse(diffuse, n, sh, 1.0, 0.0) * (1.0 - u_transmission);
    c += u_key_color * sh * key_specular(n, v, u_light_dir, f0, rough);
    // the sky and ground seen in the reflection, blurred towards the ambient light as the surface roughens
    vec3 r = reflect(-v, n);
    vec3 env = mix(sky_radiance(r), ambient_light(r), rough * rough);
    vec3 fr = f0 + (max(vec3(1.0 - rough), f0) - f0) * pow(1.0 - ndv, 5.0);
    c += env * fr * (1.0 - 0.5 * rough) * mix(0.6, 1.0, sh);
    if (u_rim_color.r + u_rim_color.g + u_rim_color.b > 0.0) {
        float ndr = max(dot(n, u_rim_dir), 0.0);
        float edge = pow(1.0 - ndv, 3.0);
        c += u_rim_color * (diffuse * ndr * (0.25 + 0.75 * edge) + key_specular(n, v, u_rim_dir, f0, rough));
        // the studio's softboxes seen in a glossy surface: a broad soft patch towards the key, a strip towards the rim
        float gloss = (1.0 - rough) * (1.0 - rough);
        float box = smoothstep(0.6, 0.9, dot(r, u_light_dir)) + 0.7 * smoothstep(0.75, 0.95, dot(r, u_rim_dir));
        c += u_key_color * 1.6 * box * fr * gloss * mix(0.5, 1.0, sh);
    }
    c += u_emissive;
    if (u_glass == 2) {
        // the light a glass reflects, added to the display colour behind it as much as it brightens a frame lit
        // like its surroundings (the ambient light stands in for what is behind); its far side is seen through
        // its near side
        c *= v_fog.a * (gl_FrontFacing ? 1.0 : 0.45);
        vec3 behind = ambient_light(-v);
        emit_graded(grade(behind + c) - grade(behind), v_pos, n, v_id, u_sem);
        return;
    }
    emit(fogged(c, v_fog), v_pos, n, v_id, u_sem);
}

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

void main() {
    float z = v_pos.z;
    vec3 f = vec3(1.0);  // what darkens the ground's light here: strata on rock, bodies' shadows
    if (v_rock.x > 0.0) {
        float band = sin(z * 0.9 + 2.2 * sin(z * 0.21)) * 0.6 + sin(z * 2.7 + 1.3) * 0.4;
        f = mix(vec3(1.0), u_strata + (1.0 - u_strata) * (0.5 + 0.5 * band), v_rock.x);
    }
#ifdef BLOB_SHADOWS
    f *= texture(u_blob_map, (v_pos.xy - u_blob_box.xy) * u_blob_box.z / vec2(textureSize(u_blob_map, 0))).r;
#endif
    emit_graded(v_shown * pow(f, vec3(v_rock.y)), v_pos, normalize(v_nrm), 0u, u_sem);
}

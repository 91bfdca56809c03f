// Terrain (semantic 1): baked light, with sandstone-like strata on rock drawn from height.
uniform uint u_sem;
uniform vec3 u_strata;
#ifdef BLOB_SHADOWS
uniform int u_n_blobs;
uniform vec4 u_blobs[16];  // this frame's bodies and agents: centre, radius (soft shadows on the ground)
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
    for (int k = 0; k < u_n_blobs; ++k) {  // where the light through a body's centre meets this height
        vec4 o = u_blobs[k];
        float above = o.z - z;
        vec2 at = o.xy - u_light_dir.xy * above / max(u_light_dir.z, 0.25);
        float r = o.w * (1.0 + 0.15 * max(above, 0.0));
        f *= 1.0 - 0.55 * smoothstep(r, 0.4 * r, distance(v_pos.xy, at)) * step(-o.w, above);
    }
#endif
    emit_graded(v_shown * pow(f, vec3(v_rock.y)), v_pos, normalize(v_nrm), 0u, u_sem);
}

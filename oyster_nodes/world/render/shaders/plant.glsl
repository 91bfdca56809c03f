// Per-instance shape of small plants, the same in the colour and the shadow passes: each plant leans its own
// way and is a little wider and lower or narrower and taller than its neighbours, from a hash of where it stands
// (deterministic: the same world always draws the same plants).
uniform vec3 u_vary;  // per kind: lean (metres across per metre up, at most), squash (0..1), dry (0..1)

uint plant_hash(uint x) {
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

// three numbers in 0..1 from a ground position
vec3 plant_noise(vec2 xy) {
    uint h = plant_hash(floatBitsToUint(xy.x) ^ plant_hash(floatBitsToUint(xy.y) + 0x9e3779b9u));
    return vec3(float(h & 1023u), float((h >> 10) & 1023u), float((h >> 20) & 1023u)) / 1023.0;
}

// the mesh point p (scaled, not yet turned) of the plant standing at xy: squashed, then leaning
vec3 plant_shape(vec3 p, vec2 xy) {
    if (u_vary.x + u_vary.y <= 0.0) return p;
    vec3 h = plant_noise(xy);
    float s = u_vary.y * (2.0 * h.x - 1.0);
    p.xy *= 1.0 + 0.5 * s;
    p.z *= 1.0 - 0.35 * s;
    float a = 6.2832 * h.y;
    p.xy += vec2(cos(a), sin(a)) * (u_vary.x * h.z) * p.z;
    return p;
}

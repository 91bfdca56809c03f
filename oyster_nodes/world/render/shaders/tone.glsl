// Exposure, filmic tone mapping and grading: linear radiance -> display colour. Used per pixel where colour
// changes within a triangle, and per vertex where it does not (instances, and terrain away from rock strata).
uniform float u_exposure;
uniform vec3 u_tint;
uniform float u_saturation;
uniform float u_contrast;

vec3 grade(vec3 x) {
    x *= u_exposure;
    vec3 t = clamp((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), 0.0, 1.0);
    t = sqrt(t) * u_tint;  // display gamma 2
    float l = dot(t, vec3(0.2126, 0.7152, 0.0722));
    t = mix(vec3(l), t, u_saturation);
    return clamp((t - 0.5) * u_contrast + 0.5, 0.0, 1.0);
}

// The sky as a screen-covering grid at the far plane (u_grid cells): its smooth parts (gradient, sun halo,
// fog) are evaluated per vertex; sky.frag adds what is sharp (sun and moon discs, stars, clouds).
uniform mat4 u_inv_viewproj;
uniform ivec2 u_grid;
uniform float u_fog_far;
out vec4 v_far;  // homogeneous world point on the far plane (linear in screen space)
out vec3 v_sky;  // sky radiance before clouds and fog
out vec4 v_fog;

void main() {
    int quad = gl_VertexID / 6, k = gl_VertexID % 6;
    ivec2 corner = ivec2(quad % u_grid.x, quad / u_grid.x)
                 + ivec2(k == 1 || k == 2 || k == 4 ? 1 : 0, k == 2 || k == 4 || k == 5 ? 1 : 0);
    vec2 ndc = vec2(corner) / vec2(u_grid) * 2.0 - 1.0;
    v_far = u_inv_viewproj * vec4(ndc, 1.0, 1.0);
    vec3 d = normalize(v_far.xyz / v_far.w - u_cam_pos);
    v_sky = sky_radiance(d);
    float f = fog_amount(d, u_fog_far);
    v_fog = vec4(fog_tint(d) * f, 1.0 - f);
    gl_Position = vec4(ndc, 1.0, 1.0);
}

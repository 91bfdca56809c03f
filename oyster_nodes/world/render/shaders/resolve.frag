// Supersampled frames: colour is the mean of the ss x ss samples; ids, depth and normal come from one.
uniform sampler2D u_rgb;
uniform sampler2D u_depth;
uniform sampler2D u_nrm;
uniform isampler2D u_inst;
uniform usampler2D u_sem;
uniform int u_ss;
layout(location = 0) out vec4 o_rgb;
layout(location = 1) out float o_depth;
layout(location = 2) out vec4 o_normal;
layout(location = 3) out int o_instance;
layout(location = 4) out uint o_semantic;

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy) * u_ss;
    vec3 c = vec3(0.0);
    for (int k = 0; k < u_ss * u_ss; ++k) c += texelFetch(u_rgb, p + ivec2(k % u_ss, k / u_ss), 0).rgb;
    o_rgb = vec4(c / float(u_ss * u_ss), 1.0);
    o_depth = texelFetch(u_depth, p, 0).r;
    o_normal = texelFetch(u_nrm, p, 0);
    o_instance = texelFetch(u_inst, p, 0).r;
    o_semantic = texelFetch(u_sem, p, 0).r;
}

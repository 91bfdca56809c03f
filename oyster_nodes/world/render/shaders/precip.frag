// Falling rain or snow blended over the colour pass (see precip.glsl), where no edge-smoothing pass follows.
layout(location = 0) out vec4 o_rgb;

void main() {
    float depth = texelFetch(u_depth, ivec2(gl_FragCoord.xy), 0).r;
    o_rgb = vec4(u_drop_color, precip_cover(gl_FragCoord.xy, depth));
}

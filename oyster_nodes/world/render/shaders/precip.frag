// Falling rain or snow, blended over the display colour after the scene is drawn. Four layers at set
// distances from the camera, each a tiling texture of streaks (rain) or flakes (snow) laid on the view's angles,
// so a layer keeps its place when the camera turns and falls at its own angular speed (near drops fast, far
// ones slow). A layer shows only in front of what is drawn there (the depth pass), so nothing falls behind a
// wall. Fixed layer counts and textures keep this cheap on a software rasterizer: four texture reads a pixel.
uniform sampler2D u_depth;   // metric depth along the view axis (infinite on the sky)
uniform sampler2D u_flakes;  // streaks or flakes, tiling, mipmapped
uniform vec2 u_centre;       // the image centre, pixels
uniform float u_focal;       // focal length, pixels
uniform vec2 u_view;         // the camera's yaw and pitch, radians
uniform vec4 u_dist;         // the layers' distances, metres
uniform vec4 u_tiles;        // the layers' texture tiles per radian across (a whole number per turn)
uniform vec4 u_stretch;      // the layers' vertical texture scale over the horizontal one
uniform vec4 u_fall;         // how far each layer has fallen by now, in texture tiles
uniform vec4 u_drift;        // how far each layer has drifted sideways by now, in texture tiles
uniform vec4 u_alpha;        // each layer's opacity
uniform float u_slant;       // sideways lean of the fall (wind across the view), tan of the angle
uniform vec3 u_color;        // display colour of drops or flakes
uniform vec2 u_seed;         // per-world offset of the patterns
layout(location = 0) out vec4 o_rgb;

void main() {
    float depth = texelFetch(u_depth, ivec2(gl_FragCoord.xy), 0).r;
    vec2 a = (gl_FragCoord.xy - u_centre) / u_focal;  // row 0 is the image's top: +y is down
    float across = a.x - u_view.x;
    float down = a.y - u_view.y;
    across -= u_slant * down;
    float cover = 0.0;
    for (int k = 0; k < 4; ++k) {
        vec2 uv = vec2(across * u_tiles[k] + u_drift[k], down * u_tiles[k] * u_stretch[k] - u_fall[k]);
        float s = texture(u_flakes, uv + u_seed * float(k + 1)).r;
        float shown = smoothstep(0.6 * u_dist[k], 1.2 * u_dist[k], depth);
        cover = max(cover, s * u_alpha[k] * shown);
    }
    o_rgb = vec4(u_color, cover);
}

// Falling rain or snow, blended over the display colour after the scene is drawn. Four layers at set
// distances from the camera, each a tiling texture of streaks (rain) or flakes (snow) laid on the view's angles,
// so a layer keeps its place when the camera turns and falls at its own angular speed (near drops fast, far
// ones slow). A layer shows only in front of what is drawn there (the depth pass), so nothing falls behind a
// wall. Fixed layer counts and textures keep this cheap on a software rasterizer: four texture reads a pixel.
// Drawn in the edge-smoothing pass where there is one (aa.frag with PRECIP), else blended by precip.frag.
uniform sampler2D u_depth;   // metric depth along the view axis (infinite on the sky)
uniform sampler2D u_flakes;  // streaks or flakes (r) and each one's rank (g), tiling, bilinear
uniform vec2 u_centre;       // the image centre, pixels
uniform float u_focal;       // focal length, pixels
uniform vec2 u_view;         // the camera's yaw and pitch, radians
uniform vec4 u_fade;         // per layer 1 / (0.6 x its distance): it shows from 0.6 to 1.2 times its distance
uniform vec4 u_tiles;        // the layers' texture tiles per radian across (a whole number per turn)
uniform vec4 u_stretch;      // the layers' vertical texture scale over the horizontal one
uniform vec4 u_fall;         // how far each layer has fallen by now, in texture tiles
uniform vec4 u_drift;        // how far each layer has drifted sideways by now, in texture tiles
uniform vec4 u_alpha;        // each layer's opacity
uniform vec4 u_keep;         // per layer, the share of its drops drawn (those ranked under it): light rain is fewer
uniform float u_slant;       // sideways lean of the fall (wind across the view), tan of the angle
uniform vec3 u_drop_color;   // display colour of drops or flakes
uniform vec2 u_seed;         // per-world offset of the patterns
// One layer's cover at this pixel (written out per layer: a software rasterizer runs loops slowly).
float layer(vec2 at, float tiles, float stretch, float fall, float drift, vec2 seed, float keep) {
    vec2 uv = vec2(at.x * tiles + drift, at.y * tiles * stretch - fall) + seed;
    vec2 t = textureLod(u_flakes, uv, 0.0).rg;
    return t.r * step(t.g, keep);
}

// How much rain or snow covers this pixel (0..1), in front of what lies `depth` metres away.
float precip_cover(vec2 frag, float depth) {
    vec2 a = (frag - u_centre) / u_focal;  // row 0 is the image's top: +y is down
    float down = a.y - u_view.y;
    vec2 at = vec2(a.x - u_view.x - u_slant * down, down);
    vec4 s = vec4(layer(at, u_tiles.x, u_stretch.x, u_fall.x, u_drift.x, u_seed, u_keep.x),
                  layer(at, u_tiles.y, u_stretch.y, u_fall.y, u_drift.y, u_seed * 2.0, u_keep.y),
                  layer(at, u_tiles.z, u_stretch.z, u_fall.z, u_drift.z, u_seed * 3.0, u_keep.z),
                  layer(at, u_tiles.w, u_stretch.w, u_fall.w, u_drift.w, u_seed * 4.0, u_keep.w));
    // a linear fade (a smoothstep here, with the sky's infinite depth, costs a software rasterizer dearly)
    s *= u_alpha * clamp(depth * u_fade - 1.0, 0.0, 1.0);
    return max(max(s.x, s.y), max(s.z, s.w));
}

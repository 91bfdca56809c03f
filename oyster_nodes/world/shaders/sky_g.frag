layout(location = 0) out vec4 o_albedo;
layout(location = 1) out uvec4 o_data;

void main() {
    o_albedo = vec4(0.0);
    o_data = uvec4(0u);
}

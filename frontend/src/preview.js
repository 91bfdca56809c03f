// Previews inside nodes. The server sends small descriptors; pixels always come by URL.
import { computed, inject, ref } from 'vue'

const PASS_LABELS = { rgb: 'rgb', depth: 'depth', normal: 'normals', instance: 'ids', semantic: 'classes' }

const ImagePreview = {
  props: ['item'],
  setup(props) {
    const passes = computed(() => Object.keys(props.item.passes || {}))
    const current = ref('rgb')
    const src = computed(() => props.item.passes[current.value] || props.item.passes[passes.value[0]])
    const ctx = inject('oyster')
    return { passes, current, src, labels: PASS_LABELS, open: () => ctx.openLightbox(src.value) }
  },
  template: `<div class="oy-preview-image">
    <img :src="src" :alt="item.output" loading="lazy" @dblclick="open" draggable="false">
    <div v-if="passes.length > 1" class="oy-pass-switcher nodrag">
      <button v-for="p in passes" :key="p" :class="{ active: p === current }" @click="current = p"
        :data-pass="p">{{ labels[p] || p }}</button>
    </div>
    <div class="oy-preview-caption">{{ item.caption }}</div>
  </div>`,
}

// A top-down map of a camera path: positions as a polyline, a sight line from each key to its target.
export const CameraMap = {
  props: ['item'],
  setup(props) {
    const view = computed(() => {
      const keys = props.item.keys || []
      const pts = keys.flatMap((k) => [k.position, k.target].filter(Boolean))
      if (!pts.length) return null
      const xs = pts.map((p) => p[0])
      const ys = pts.map((p) => p[1])
      const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)]
      const span = Math.max(x1 - x0, y1 - y0, 1e-6)
      const map = (p) => [8 + ((p[0] - x0) / span) * 204, 152 - ((p[1] - y0) / span) * 144]
      const path = keys.map((k) => map(k.position)).map((p) => p.join(',')).join(' ')
      const sights = keys.filter((k) => k.target).map((k) => [map(k.position), map(k.target)])
      return { path, sights, dots: keys.map((k) => map(k.position)), span }
    })
    return { view }
  },
  template: `<svg v-if="view" class="oy-camera-map" viewBox="0 0 220 160">
    <rect x="0" y="0" width="220" height="160" rx="4" />
    <line v-for="(s, i) in view.sights" :key="'s' + i" :x1="s[0][0]" :y1="s[0][1]" :x2="s[1][0]" :y2="s[1][1]"
      class="oy-sight" />
    <polyline :points="view.path" class="oy-path" />
    <circle v-for="(d, i) in view.dots" :key="i" :cx="d[0]" :cy="d[1]" r="3" />
    <text x="6" y="154">{{ view.span.toFixed(0) }} m</text>
  </svg>`,
}

const FilesPreview = {
  props: ['item'],
  setup() {
    const ctx = inject('oyster')
    return { view3d: (url) => ctx.openModel(url) }
  },
  template: `<div class="oy-files nodrag">
    <div v-for="f in item.files" :key="f.url" class="oy-file">
      <a :href="f.url" target="_blank" rel="noopener">{{ f.name }}</a>
      <button v-if="f.name.toLowerCase().endsWith('.glb')" class="oy-small-btn" @click="view3d(f.url)">3D view</button>
    </div>
  </div>`,
}

export const PreviewList = {
  components: { ImagePreview, CameraMap, FilesPreview },
  props: ['items'],
  setup() {
    const ctx = inject('oyster')
    return { open3d: (url) => ctx.openModel(url) }
  },
  template: `<div class="oy-previews">
    <template v-for="item in items" :key="item.output + item.kind">
      <ImagePreview v-if="item.kind === 'image'" :item="item" />
      <video v-else-if="item.kind === 'video'" class="oy-video nodrag" :src="item.url" controls loop muted
        preload="metadata"></video>
      <CameraMap v-else-if="item.kind === 'camera'" :item="item" />
      <FilesPreview v-else-if="item.kind === 'files'" :item="item" />
      <button v-else-if="item.kind === 'model'" class="oy-small-btn nodrag" @click="open3d(item.url)">3D view of
        {{ item.output }}</button>
      <div v-else-if="item.kind === 'value'" class="oy-value" :data-output="item.output">
        <span class="oy-value-name">{{ item.output }}</span> {{ item.text }}</div>
    </template>
  </div>`,
}

// The viewer panel: Ctrl+Shift+click on a node or one of its outputs shows that value large (an image with its
// passes, a video, a camera path, files, a world in 3D). It reads the run's previews and never touches the
// document, so the saved workflow stays as it is.
import { computed, inject, nextTick, onBeforeUnmount, ref, watch } from 'vue'
import { CameraMap } from './preview.js'

const PASS_LABELS = { rgb: 'rgb', depth: 'depth', normal: 'normals', instance: 'ids', semantic: 'classes' }

const ViewerImage = {
  props: ['item'],
  setup(props) {
    const current = ref('rgb')
    const passes = computed(() => Object.keys(props.item.passes || {}))
    const src = computed(() => props.item.passes[current.value] || props.item.passes[passes.value[0]])
    return { current, passes, src, labels: PASS_LABELS }
  },
  template: `<div class="oy-viewer-image">
    <div v-if="passes.length > 1" class="oy-pass-switcher" role="group" aria-label="render passes">
      <button v-for="p in passes" :key="p" :class="{ active: p === current }" :aria-pressed="p === current"
        :data-pass="p" @click="current = p">{{ labels[p] || p }}</button>
    </div>
    <img :src="src" :alt="item.output + ' (' + current + ')'" draggable="false" data-testid="viewer-img">
    <div class="oy-preview-caption">{{ item.caption }}</div>
  </div>`,
}

// A GLB shown in three.js inside the panel.
const ViewerModel = {
  props: ['url'],
  setup(props) {
    const el = ref(null)
    let dispose = null
    const mount = async () => {
      dispose?.()
      await nextTick()
      if (!el.value) return
      const { mountViewer } = await import('./viewer3d.js')
      dispose = mountViewer(el.value, props.url)
    }
    watch(() => props.url, mount, { immediate: true })
    onBeforeUnmount(() => dispose?.())
    return { el }
  },
  template: '<div ref="el" class="oy-viewer-3d" data-testid="viewer-3d"></div>',
}

export const ViewerPanel = {
  components: { ViewerImage, ViewerModel, CameraMap },
  props: ['target'],
  emits: ['close'],
  setup(props) {
    const ctx = inject('oyster')
    const own = computed(() => ctx.status[ctx.pathOf(props.target.node)]?.previews || [])
    // A node no run has shown (one a run found up to date, upstream of a cached result) may still be in the
    // cache: the server makes its previews from there.
    const fetched = ref(null)
    const looking = ref(false)
    watch([() => props.target.node, () => own.value.length], async ([node, count]) => {
      fetched.value = null
      if (count) return
      looking.value = true
      const got = await ctx.cachedPreviews(node)
      if (props.target.node !== node) return
      fetched.value = got
      looking.value = false
    }, { immediate: true })
    const items = computed(() => {
      const all = own.value.length ? own.value : fetched.value || []
      return props.target.output ? all.filter((i) => i.output === props.target.output) : all
    })
    // A world has no picture of its own: the GLB an export made of it downstream is shown in 3D.
    const glb = computed(() => {
      for (const id of ctx.downstreamOf(props.target.node)) {
        for (const item of ctx.status[ctx.pathOf(id)]?.previews || []) {
          const file = (item.files || []).find((f) => f.name.toLowerCase().endsWith('.glb'))
          if (file) return file.url
        }
      }
      return null
    })
    const isWorld = computed(() => (ctx.portsOf(props.target.node)?.outputs || [])
      .some((p) => p.type === 'WorldState' && (!props.target.output || p.name === props.target.output)))
    const label = computed(() => ctx.titleOf(props.target.node) + (props.target.output ? ` › ${props.target.output}` : ''))
    return { items, looking, glb, isWorld, label, bypassed: computed(() => ctx.modeOf(props.target.node) === 'bypass') }
  },
  template: `<section class="oy-viewer" role="dialog" aria-label="Viewer" data-testid="viewer">
    <div class="oy-sheet-head"><span>Viewer · <b data-testid="viewer-label">{{ label }}</b></span>
      <button aria-label="Close the viewer" @click="$emit('close')">✕</button></div>
    <div v-if="bypassed" class="oy-viewer-note">bypassed: shows what it passes through</div>
    <div v-if="looking && !items.length" class="oy-viewer-empty" data-testid="viewer-looking">Looking in the cache…</div>
    <div v-else-if="!items.length && !glb" class="oy-viewer-empty" data-testid="viewer-empty">
      Not computed yet: run the workflow (Ctrl+Enter) to see this value.</div>
    <template v-for="item in items" :key="item.output + item.kind">
      <ViewerImage v-if="item.kind === 'image'" :item="item" />
      <video v-else-if="item.kind === 'video'" class="oy-viewer-video" :src="item.url" controls loop muted autoplay
        data-testid="viewer-video"></video>
      <CameraMap v-else-if="item.kind === 'camera'" :item="item" class="oy-viewer-camera" />
      <ViewerModel v-else-if="item.kind === 'files' && item.files.some((f) => f.name.toLowerCase().endsWith('.glb'))"
        :url="item.files.find((f) => f.name.toLowerCase().endsWith('.glb')).url" />
      <ul v-if="item.kind === 'files'" class="oy-viewer-files"><li v-for="f in item.files" :key="f.url">
        <a :href="f.url" target="_blank" rel="noopener">{{ f.name }}</a></li></ul>
      <div v-else-if="item.kind === 'value'" class="oy-viewer-value" data-testid="viewer-value">
        <span class="oy-value-name">{{ item.output }}</span> {{ item.text }}</div>
    </template>
    <template v-if="isWorld">
      <ViewerModel v-if="glb" :url="glb" />
      <div v-else class="oy-viewer-note">Connect an Export GLB node to this world and run to see it in 3D here.</div>
    </template>
  </section>`,
}

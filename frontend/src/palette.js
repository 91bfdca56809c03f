// The searchable node palette: categories, each node's docs, drag onto the canvas or click to add.
import { computed, inject, ref } from 'vue'
import { rank } from './search.js'

export const DRAG_TYPE = 'application/x-oyster-node'


export const Palette = {
  setup() {
    const ctx = inject('oyster')
    const query = ref('')
    const hovered = ref(null)
    const closed = ref({})
    // With a query: one list, best match first; without: the categories.
    const groups = computed(() => {
      const specs = Object.values(ctx.catalog.value.nodes)
      if (query.value.trim()) {
        const items = rank(specs, query.value, ctx.aliases.value)
        return items.length ? [{ category: 'best matches', items }] : []
      }
      const out = {}
      for (const spec of specs) (out[spec.category] ||= []).push(spec)
      return Object.keys(out).sort().map((c) => ({ category: c, items: out[c].sort((a, b) => a.title.localeCompare(b.title)) }))
    })
    const first = computed(() => groups.value[0]?.items[0])
    const dragStart = (e, spec) => {
      e.dataTransfer.setData(DRAG_TYPE, spec.type)
      e.dataTransfer.effectAllowed = 'copy'
    }
    const add = (spec) => ctx.addNodeAtCenter(spec.type)
    const enter = () => first.value && add(first.value)
    const color = (t) => ctx.catalog.value.colors[t] || '#9e9e9e'
    const setSearch = (el) => { ctx.searchRef.value = el }
    return { query, hovered, closed, groups, dragStart, add, enter, color, setSearch }
  },
  template: `<aside class="oy-palette">
    <input :ref="setSearch" class="oy-search" aria-label="Search nodes" v-model="query" placeholder="Search nodes  ( / )"
      @keydown.enter="enter" @keydown.esc="query = ''; $event.target.blur()">
    <div class="oy-palette-list">
      <div v-for="g in groups" :key="g.category" class="oy-palette-group">
        <div class="oy-palette-category" role="button" tabindex="0" :aria-label="'Category ' + g.category"
          :aria-expanded="!closed[g.category] || !!query" @click="closed[g.category] = !closed[g.category]"
          @keydown.enter="closed[g.category] = !closed[g.category]">
          <span>{{ closed[g.category] && !query ? '▸' : '▾' }}</span> {{ g.category }}
          <span class="oy-count">{{ g.items.length }}</span></div>
        <template v-if="!closed[g.category] || query">
          <div v-for="spec in g.items" :key="spec.type" class="oy-palette-item" draggable="true"
            :data-type="spec.type" @dragstart="dragStart($event, spec)" @click="add(spec)" role="button" tabindex="0"
            :aria-label="'Add ' + spec.title" @keydown.enter="add(spec)"
            @mouseenter="hovered = spec" @mouseleave="hovered = null">
            <span class="oy-palette-dot" :class="'oy-cat-' + spec.category"></span>{{ spec.title }}
            <span class="oy-palette-type">{{ spec.type }}</span>
          </div>
        </template>
      </div>
      <div v-if="!groups.length" class="oy-empty">no node matches “{{ query }}”</div>
    </div>
    <div class="oy-docs" v-if="hovered">
      <div class="oy-docs-title">{{ hovered.title }} <span>{{ hovered.type }} · v{{ hovered.version }}</span></div>
      <p>{{ hovered.description || 'No description.' }}</p>
      <div v-for="p in hovered.inputs" :key="'i' + p.name" class="oy-docs-port">
        <span class="oy-docs-dot" :style="{ background: color(p.type) }"></span>in <b>{{ p.name }}</b>
        <i>{{ p.type }}{{ p.optional ? ', optional' : '' }}</i> {{ p.description }}</div>
      <div v-for="p in hovered.outputs" :key="'o' + p.name" class="oy-docs-port">
        <span class="oy-docs-dot" :style="{ background: color(p.type) }"></span>out <b>{{ p.name }}</b>
        <i>{{ p.type }}</i> {{ p.description }}</div>
      <div v-for="p in hovered.params" :key="'p' + p.name" class="oy-docs-port">param <b>{{ p.name }}</b>
        <i>{{ p.type }} = {{ JSON.stringify(p.default) }}</i> {{ p.description }}</div>
    </div>
  </aside>`,
}

// Finding a node by name: ranked search over titles, type names and aliases (the titles templates give
// their nodes), and the quick-add box that opens at the cursor.
import { computed, inject, nextTick, onMounted, ref } from 'vue'

// How well one name matches the query: lower is better, null is no match.
const EXACT = 0
const PREFIX = 1
const WORD = 2
const INSIDE = 3
const FUZZY = 4

function nameScore(name, q) {
  const n = name.toLowerCase()
  if (n === q) return EXACT
  if (n.startsWith(q)) return PREFIX
  const words = n.split(/[\s._\-/]+/).filter(Boolean)
  if (words.some((w) => w.startsWith(q))) return WORD
  const qWords = q.split(/\s+/).filter(Boolean)
  if (qWords.length > 1 && qWords.every((qw) => words.some((w) => w.startsWith(qw)))) return WORD
  if (n.includes(q)) return INSIDE
  let i = 0
  for (const ch of n) if (ch === q[i]) i++
  return i === q.length ? FUZZY : null
}

// The names a node is known by: its title, its type name (whole and last part) and its aliases.
export function namesOf(spec, aliases) {
  return [spec.title, spec.type, spec.type.split('.').pop(), ...(aliases?.[spec.type] || [])]
}

// Node specs ranked for the query: exact, then prefix, then word, then fuzzy; ties go to the shorter title.
export function rank(specs, query, aliases) {
  const q = query.trim().toLowerCase()
  if (!q) return [...specs].sort((a, b) => a.title.localeCompare(b.title))
  const scored = []
  for (const spec of specs) {
    let best = null
    for (const name of namesOf(spec, aliases)) {
      const s = nameScore(name, q)
      if (s !== null && (best === null || s < best)) best = s
    }
    if (best === null && `${spec.category} ${spec.description}`.toLowerCase().includes(q)) best = FUZZY + 1
    if (best !== null) scored.push([best, spec])
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].title.length - b[1].title.length || a[1].title.localeCompare(b[1].title))
  return scored.map(([, spec]) => spec)
}

const SHOWN = 12

// The quick-add box: typed query, ranked list, arrows and Enter; `filter` narrows it (a dropped wire's
// compatible nodes) and `aliasOf` says under which alias an item matched.
export const QuickAdd = {
  props: ['at', 'filter', 'title'],
  emits: ['pick', 'close'],
  setup(props, { emit }) {
    const ctx = inject('oyster')
    const query = ref('')
    const active = ref(0)
    const input = ref(null)
    const items = computed(() => {
      const specs = Object.values(ctx.catalog.value.nodes).filter((s) => !props.filter || props.filter(s))
      return rank(specs, query.value, ctx.aliases.value).slice(0, SHOWN)
    })
    const aliasHit = (spec) => {
      const q = query.value.trim().toLowerCase()
      if (!q) return ''
      return (ctx.aliases.value?.[spec.type] || []).find((a) => a.toLowerCase().includes(q)) || ''
    }
    const move = (d) => { active.value = (active.value + d + items.value.length) % Math.max(1, items.value.length) }
    const choose = (spec) => spec && emit('pick', spec.type)
    const onKey = (e) => {
      if (e.key === 'ArrowDown') { e.preventDefault(); move(1) } else if (e.key === 'ArrowUp') { e.preventDefault(); move(-1) } else if (e.key === 'Enter') { e.preventDefault(); choose(items.value[active.value]) } else if (e.key === 'Escape') { e.preventDefault(); emit('close') }
    }
    onMounted(() => nextTick(() => input.value?.focus()))
    return { query, active, input, items, aliasHit, choose, onKey, reset: () => { active.value = 0 } }
  },
  template: `<div class="oy-quickadd" :style="{ left: at.x + 'px', top: at.y + 'px' }" role="dialog"
      aria-label="Add a node" data-testid="quick-add" @mousedown.stop @dblclick.stop @wheel.stop>
    <div v-if="title" class="oy-quickadd-title">{{ title }}</div>
    <input ref="input" class="oy-quickadd-input" v-model="query" placeholder="Add a node: type to search"
      aria-label="Search nodes to add" @keydown="onKey" @input="reset" @blur="$emit('close')">
    <div class="oy-quickadd-list" role="listbox" aria-label="Matching nodes">
      <div v-for="(spec, i) in items" :key="spec.type" class="oy-quickadd-item" role="option"
        :aria-selected="i === active" :class="{ active: i === active }" :data-type="spec.type"
        @mousedown.prevent="choose(spec)" @mouseenter="active = i">
        <span class="oy-palette-dot" :class="'oy-cat-' + spec.category"></span>
        <span class="oy-quickadd-name">{{ spec.title }}</span>
        <span v-if="aliasHit(spec)" class="oy-quickadd-alias">“{{ aliasHit(spec) }}”</span>
        <span class="oy-palette-type">{{ spec.type }}</span>
      </div>
      <div v-if="!items.length" class="oy-empty">no node matches “{{ query }}”</div>
    </div>
  </div>`,
}

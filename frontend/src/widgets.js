// Parameter widgets, chosen by Param.widget first and the parameter's type second.
import { computed, inject, ref, watch } from 'vue'
import { StructuredField } from './forms.js'

const isNumber = (p) => p.type === 'int' || p.type === 'float'

export function widgetKind(p) {
  if (p.widget) return p.widget
  if (p.choices) return 'choice'
  if (p.type === 'bool') return 'bool'
  if (isNumber(p)) return p.name === 'seed' ? 'seed' : 'number'
  if (p.type === 'path') return 'file'
  if (p.type === 'list' || p.type === 'object') return 'json'
  return 'text'
}

function parseNumber(p, raw) {
  if (raw === '' || raw === null) return null
  const v = Number(raw)
  if (!Number.isFinite(v)) return raw
  return p.type === 'int' ? Math.round(v) : v
}

function boundsProblem(p, v) {
  if (typeof v !== 'number') return v === null ? null : 'not a number'
  if (p.min !== null && p.min !== undefined && v < p.min) return `below the minimum ${p.min}`
  if (p.max !== null && p.max !== undefined && v > p.max) return `above the maximum ${p.max}`
  return null
}

const NumberField = {
  props: ['param', 'value'],
  emits: ['set'],
  setup(props, { emit }) {
    const local = ref(props.value)
    watch(() => props.value, (v) => { local.value = v })
    const problem = computed(() => boundsProblem(props.param, parseNumber(props.param, local.value)))
    const step = computed(() => (props.param.type === 'int' ? 1 : 'any'))
    const commit = () => emit('set', parseNumber(props.param, local.value))
    return { local, problem, step, commit }
  },
  template: `<input class="oy-input nodrag" type="number" :aria-label="param.name.replaceAll('_', ' ')" :step="step" :min="param.min ?? undefined"
    :max="param.max ?? undefined" v-model="local" @change="commit" @keydown.enter="commit"
    :class="{ 'oy-bad': problem }" :title="problem || param.description">`,
}

const SliderField = {
  components: { NumberField },
  props: ['param', 'value'],
  emits: ['set'],
  setup(props, { emit }) {
    const step = computed(() => (props.param.type === 'int' ? 1 : (props.param.max - props.param.min) / 200))
    const slide = (e) => emit('set', parseNumber(props.param, e.target.value))
    return { step, slide }
  },
  template: `<div class="oy-row-widget">
    <input class="oy-slider nodrag" type="range" :aria-label="param.name.replaceAll('_', ' ') + ' slider'" :min="param.min" :max="param.max" :step="step" :value="value"
      @input="slide">
    <NumberField class="oy-slider-number" :param="param" :value="value" @set="$emit('set', $event)" />
  </div>`,
}

const SEED_MAX = 2 ** 31 - 1

const SeedField = {
  components: { NumberField },
  props: ['param', 'value', 'nodeId'],
  emits: ['set'],
  setup(props, { emit }) {
    const ctx = inject('oyster')
    const mode = computed({
      get: () => ctx.seedMode(props.nodeId, props.param.name),
      set: (m) => ctx.setSeedMode(props.nodeId, props.param.name, m),
    })
    const reroll = () => emit('set', Math.floor(Math.random() * Math.min(SEED_MAX, props.param.max ?? SEED_MAX)))
    return { mode, reroll }
  },
  template: `<div class="oy-row-widget">
    <NumberField :param="param" :value="value" @set="$emit('set', $event)" />
    <select class="oy-input oy-seed-mode nodrag" v-model="mode" :aria-label="param.name.replaceAll('_', ' ') + ' on each run'" title="what happens to the seed on each run">
      <option value="fixed">fixed</option><option value="random">random</option>
      <option value="increment">+1</option>
    </select>
    <button class="oy-icon-btn nodrag" title="new random seed" aria-label="new random seed" @click="reroll"><i class="material-icons" aria-hidden="true">casino</i></button>
  </div>`,
}

// A vector's fields: as many as its value or default has, else as its description shows ("[x, y] to look at").
// An empty vector (a default meaning "choose for me") shows blank fields and a note saying so.
function vectorSize(param, value) {
  const known = Math.max(Array.isArray(value) ? value.length : 0, Array.isArray(param.default) ? param.default.length : 0)
  if (known) return known
  const named = /\[([a-z](?:\s*,\s*[a-z])*)\]/i.exec(param.description || '')
  return named ? named[1].split(',').length : 3
}

const VectorField = {
  props: ['param', 'value'],
  emits: ['set'],
  setup(props, { emit }) {
    const size = computed(() => vectorSize(props.param, props.value))
    const items = computed(() => Array.from({ length: size.value }, (_, i) => (Array.isArray(props.value) ? props.value[i] : undefined)))
    const empty = computed(() => !Array.isArray(props.value) || props.value.length === 0)
    const setItem = (i, raw) => {
      const next = items.value.map((v) => (typeof v === 'number' ? v : 0))
      next[i] = Number(raw)
      emit('set', raw === '' && empty.value ? [] : next)
    }
    const clear = () => emit('set', [])
    const canClear = computed(() => Array.isArray(props.param.default) && props.param.default.length === 0 && !empty.value)
    return { items, empty, setItem, clear, canClear, labels: ['x', 'y', 'z', 'w'] }
  },
  template: `<div class="oy-row-widget oy-vector">
    <label v-for="(v, i) in items" :key="i"><span>{{ labels[i] || i }}</span>
      <input class="oy-input nodrag" type="number" step="any" :value="v ?? ''" :placeholder="empty ? 'auto' : ''"
        :aria-label="param.name.replaceAll('_', ' ') + ' ' + (labels[i] || i)" @change="setItem(i, $event.target.value)">
    </label>
    <button v-if="canClear" class="oy-icon-btn nodrag" title="back to automatic" aria-label="back to automatic"
      @click="clear">✕</button>
  </div>`,
}

const ColorField = {
  props: ['param', 'value'],
  emits: ['set'],
  template: `<div class="oy-row-widget">
    <input class="oy-color nodrag" type="color" :aria-label="param.name.replaceAll('_', ' ') + ' colour'" :value="value || '#000000'" @change="$emit('set', $event.target.value)">
    <input class="oy-input nodrag" :value="value" :aria-label="param.name.replaceAll('_', ' ')" @change="$emit('set', $event.target.value)">
  </div>`,
}

const FileField = {
  props: ['param', 'value', 'nodeId'],
  emits: ['set'],
  setup(props) {
    const ctx = inject('oyster')
    const browse = () => ctx.emit('pick_file', { node: props.nodeId, param: props.param.name })
    return { browse }
  },
  template: `<div class="oy-row-widget">
    <input class="oy-input nodrag" :value="value" placeholder="path in the workspace" :aria-label="param.name.replaceAll('_', ' ')"
      @change="$emit('set', $event.target.value)">
    <button class="oy-icon-btn nodrag" title="choose a file in the workspace" aria-label="choose a file in the workspace" @click="browse"><i class="material-icons" aria-hidden="true">folder_open</i></button>
  </div>`,
}

const JsonField = {
  props: ['param', 'value'],
  emits: ['set'],
  setup(props, { emit }) {
    const text = ref(JSON.stringify(props.value, null, 1))
    const error = ref(null)
    watch(() => props.value, (v) => { text.value = JSON.stringify(v, null, 1) })
    const commit = () => {
      try {
        const parsed = JSON.parse(text.value)
        error.value = null
        emit('set', parsed)
      } catch (e) {
        error.value = e.message
      }
    }
    return { text, error, commit }
  },
  template: `<div><textarea class="oy-input oy-code nodrag nowheel" rows="3" v-model="text" @change="commit" :aria-label="param.name.replaceAll('_', ' ') + ' (JSON)'"
    :class="{ 'oy-bad': error }"></textarea><div v-if="error" class="oy-field-error">{{ error }}</div></div>`,
}

// A keyframe list for camera paths: one row per key, columns from the keys' fields.
const KeyframeField = {
  props: ['param', 'value'],
  emits: ['set'],
  setup(props, { emit }) {
    const rows = computed(() => (Array.isArray(props.value) ? props.value : []))
    const columns = computed(() => {
      const keys = new Set()
      for (const r of [...rows.value, ...(props.param.default || [])]) Object.keys(r || {}).forEach((k) => keys.add(k))
      return keys.size ? [...keys] : ['time', 'position', 'target', 'focal_mm']
    })
    const show = (v) => (Array.isArray(v) ? v.join(', ') : v ?? '')
    const parse = (raw, old) => {
      if (Array.isArray(old) || raw.includes(',')) return raw.split(',').map((s) => Number(s.trim()))
      const n = Number(raw)
      return raw.trim() !== '' && Number.isFinite(n) ? n : raw
    }
    const setCell = (i, col, raw) => {
      const next = rows.value.map((r) => ({ ...r }))
      next[i][col] = parse(raw, next[i][col])
      emit('set', next)
    }
    const addRow = () => {
      const last = rows.value[rows.value.length - 1]
      const row = last ? { ...last } : Object.fromEntries(columns.value.map((c) => [c, 0]))
      if (typeof row.time === 'number') row.time += 1
      emit('set', [...rows.value, row])
    }
    const removeRow = (i) => emit('set', rows.value.filter((_, j) => j !== i))
    return { rows, columns, show, setCell, addRow, removeRow }
  },
  template: `<div class="oy-keyframes nodrag nowheel">
    <table><thead><tr><th v-for="c in columns" :key="c">{{ c }}</th><th></th></tr></thead>
    <tbody><tr v-for="(r, i) in rows" :key="i">
      <td v-for="c in columns" :key="c"><input class="oy-input" :value="show(r[c])"
        :aria-label="param.name.replaceAll('_', ' ') + ' key ' + (i + 1) + ' ' + c"
        @change="setCell(i, c, $event.target.value)"></td>
      <td><button class="oy-icon-btn" title="remove key" aria-label="remove key" @click="removeRow(i)">✕</button></td>
    </tr></tbody></table>
    <button class="oy-small-btn" @click="addRow">+ key</button>
  </div>`,
}

// The action script: a code area with line numbers; lines named by problems are marked inline.
const ScriptField = {
  props: ['param', 'value', 'problems'],
  emits: ['set'],
  setup(props, { emit }) {
    const text = ref(props.value || '')
    watch(() => props.value, (v) => { text.value = v || '' })
    const marks = computed(() => {
      const out = {}
      for (const p of props.problems || []) {
        const m = /line (\d+)/i.exec(p.message)
        if (m) out[Number(m[1])] = p.message + (p.fix ? ` (${p.fix})` : '')
      }
      return out
    })
    const lines = computed(() => text.value.split('\n').map((_, i) => i + 1))
    return { text, marks, lines, commit: () => emit('set', text.value) }
  },
  template: `<div class="oy-script nodrag nowheel">
    <div class="oy-gutter"><div v-for="n in lines" :key="n" :class="{ 'oy-mark': marks[n] }"
      :title="marks[n] || ''">{{ n }}</div></div>
    <textarea class="oy-code" v-model="text" @change="commit" spellcheck="false" :aria-label="param.name.replaceAll('_', ' ')"
      :rows="Math.min(12, Math.max(3, lines.length))"></textarea>
  </div>
  <div v-for="(msg, n) in marks" :key="n" class="oy-field-error">line {{ n }}: {{ msg }}</div>`,
}

export const ParamWidget = {
  components: { NumberField, SliderField, SeedField, VectorField, ColorField, FileField, JsonField, KeyframeField,
    ScriptField, StructuredField },
  props: ['param', 'value', 'nodeId', 'problems'],
  setup(props) {
    const ctx = inject('oyster')
    const kind = computed(() => widgetKind(props.param))
    const set = (v) => ctx.setParam(props.nodeId, props.param.name, v)
    const problem = computed(() => (props.problems || []).map((p) => p.message + (p.fix ? ` — ${p.fix}` : '')).join('; '))
    const wide = computed(() => ['textarea', 'keyframes', 'script', 'json', 'vector'].includes(kind.value))
    return { kind, set, problem, wide }
  },
  template: `<div class="oy-param" :class="{ 'oy-param-wide': wide, 'oy-param-bad': problem }" :data-param="param.name">
    <label class="oy-param-label" :title="param.description">{{ param.name }}</label>
    <div class="oy-param-widget">
      <select v-if="kind === 'choice'" class="oy-input nodrag" :aria-label="param.name.replaceAll('_', ' ')" :value="value" @change="set($event.target.value)">
        <option v-for="c in param.choices" :key="c" :value="c">{{ c }}</option>
      </select>
      <input v-else-if="kind === 'bool'" type="checkbox" class="nodrag" :aria-label="param.name.replaceAll('_', ' ')" :checked="value"
        @change="set($event.target.checked)">
      <SliderField v-else-if="kind === 'slider' && param.min != null && param.max != null" :param="param"
        :value="value" @set="set" />
      <SeedField v-else-if="kind === 'seed'" :param="param" :value="value" :node-id="nodeId" @set="set" />
      <NumberField v-else-if="kind === 'number' || kind === 'slider'" :param="param" :value="value" @set="set" />
      <textarea v-else-if="kind === 'textarea'" class="oy-input oy-prompt nodrag nowheel" rows="3" :value="value"
        :aria-label="param.name.replaceAll('_', ' ')"
        @input="set($event.target.value)" :placeholder="param.description"></textarea>
      <ColorField v-else-if="kind === 'color'" :param="param" :value="value" @set="set" />
      <VectorField v-else-if="kind === 'vector'" :param="param" :value="value" @set="set" />
      <FileField v-else-if="kind === 'file'" :param="param" :value="value" :node-id="nodeId" @set="set" />
      <StructuredField v-else-if="kind === 'keyframes'" :param="param" :value="value" @set="set">
        <template #form><KeyframeField :param="param" :value="value" @set="set" /></template>
        <template #raw><JsonField :param="param" :value="value" @set="set" /></template>
      </StructuredField>
      <ScriptField v-else-if="kind === 'script'" :param="param" :value="value" :problems="problems" @set="set" />
      <StructuredField v-else-if="kind === 'json' && value !== null && typeof value === 'object'" :param="param"
        :value="value" @set="set"><template #raw><JsonField :param="param" :value="value" @set="set" /></template></StructuredField>
      <JsonField v-else-if="kind === 'json'" :param="param" :value="value" @set="set" />
      <input v-else class="oy-input nodrag" :aria-label="param.name.replaceAll('_', ' ')" :value="value" @input="set($event.target.value)">
    </div>
    <div v-if="problem && kind !== 'script'" class="oy-field-error">{{ problem }}</div>
  </div>`,
}

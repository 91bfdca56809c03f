// Forms for structured parameters (spec overrides, edit operations, keyframes): a value is edited as rows of
// fields and items, any depth, with the raw JSON one click away. New items start from the examples the
// parameter's description gives (`[{"op": "add", ...}, {"op": "remove", ...}]`), else from the last item.
import { computed, ref } from 'vue'

const MAX_DEPTH = 5
const clone = (v) => JSON.parse(JSON.stringify(v))
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)

// The JSON examples in a description: a list's items, or an object.
export function examplesOf(description) {
  const text = description || ''
  for (const [open, close] of [['[', ']'], ['{', '}']]) {
    const start = text.indexOf(open)
    const end = text.lastIndexOf(close)
    if (start < 0 || end <= start) continue
    try {
      const parsed = JSON.parse(text.slice(start, end + 1))
      return Array.isArray(parsed) ? parsed : [parsed]
    } catch { /* not JSON: try the other bracket */ }
  }
  return []
}

// A typed-in scalar keeps the kind of value it replaces; a new one is a number when it reads as one.
function parseScalar(raw, old) {
  if (typeof old === 'string') return raw
  const n = Number(raw)
  if (raw.trim() !== '' && Number.isFinite(n)) return n
  return raw === 'null' ? null : raw
}

const exampleLabel = (ex) => (isObject(ex) ? String(ex.op ?? ex.kind ?? Object.keys(ex)[0] ?? 'item') : 'item')

export const JsonForm = {
  name: 'JsonForm',
  props: ['value', 'label', 'depth', 'examples'],
  emits: ['set'],
  setup(props, { emit }) {
    const kind = computed(() => (Array.isArray(props.value) ? 'list' : isObject(props.value) ? 'object'
      : typeof props.value === 'boolean' ? 'bool' : 'scalar'))
    const entries = computed(() => (kind.value === 'object' ? Object.entries(props.value) : []))
    const setKey = (key, v) => emit('set', { ...props.value, [key]: v })
    const renameKey = (key, next) => {
      if (!next || next === key || next in props.value) return
      emit('set', Object.fromEntries(Object.entries(props.value).map(([k, v]) => [k === key ? next : k, v])))
    }
    const removeKey = (key) => emit('set', Object.fromEntries(Object.entries(props.value).filter(([k]) => k !== key)))
    const addField = () => {
      const example = (props.examples || []).find(isObject) || {}
      const key = Object.keys(example).find((k) => !(k in props.value)) ||
        ['field', 'field_2', 'field_3', 'field_4'].find((k) => !(k in props.value)) || `field_${Date.now()}`
      emit('set', { ...props.value, [key]: key in example ? clone(example[key]) : '' })
    }
    const setItem = (i, v) => emit('set', props.value.map((x, j) => (j === i ? v : x)))
    const removeItem = (i) => emit('set', props.value.filter((_, j) => j !== i))
    const addItem = (ex) => emit('set', [...props.value, clone(ex ?? props.value[props.value.length - 1] ?? '')])
    const listExamples = computed(() => (props.examples || []))
    return { kind, entries, setKey, renameKey, removeKey, addField, setItem, removeItem, addItem, listExamples,
      exampleLabel, parseScalar, deep: computed(() => (props.depth || 0) >= MAX_DEPTH), d: computed(() => (props.depth || 0) + 1) }
  },
  template: `<div class="oy-form" :class="'oy-form-' + kind">
    <template v-if="kind === 'object' && !deep">
      <div v-for="[k, v] in entries" :key="k" class="oy-form-row">
        <input class="oy-input oy-form-key" :value="k" :aria-label="label + ' field name ' + k"
          @change="renameKey(k, $event.target.value.trim())">
        <JsonForm :value="v" :label="label + ' ' + k" :depth="d" :examples="[]" @set="setKey(k, $event)" />
        <button class="oy-icon-btn" :aria-label="'remove ' + label + ' ' + k" title="remove" @click="removeKey(k)">✕</button>
      </div>
      <button class="oy-small-btn" :aria-label="'add a field to ' + label" @click="addField">+ field</button>
    </template>
    <template v-else-if="kind === 'list' && !deep">
      <div v-for="(v, i) in value" :key="i" class="oy-form-row">
        <span class="oy-form-index">{{ i + 1 }}</span>
        <JsonForm :value="v" :label="label + ' ' + (i + 1)" :depth="d" :examples="[]" @set="setItem(i, $event)" />
        <button class="oy-icon-btn" :aria-label="'remove ' + label + ' ' + (i + 1)" title="remove" @click="removeItem(i)">✕</button>
      </div>
      <div class="oy-form-adds">
        <button v-for="ex in listExamples" :key="exampleLabel(ex)" class="oy-small-btn"
          :aria-label="'add ' + exampleLabel(ex) + ' to ' + label" @click="addItem(ex)">+ {{ exampleLabel(ex) }}</button>
        <button v-if="!listExamples.length" class="oy-small-btn" :aria-label="'add an item to ' + label" @click="addItem()">+ item</button>
      </div>
    </template>
    <input v-else-if="kind === 'bool'" type="checkbox" :checked="value" :aria-label="label" @change="$emit('set', $event.target.checked)">
    <input v-else-if="kind === 'scalar'" class="oy-input" :value="value ?? ''" :aria-label="label"
      @change="$emit('set', parseScalar($event.target.value, value))">
    <code v-else class="oy-form-deep">{{ JSON.stringify(value) }}</code>
  </div>`,
}

// A structured parameter: its form, or (one click) its raw JSON; both edit the same value.
export const StructuredField = {
  components: { JsonForm },
  props: ['param', 'value'],
  emits: ['set'],
  setup(props) {
    const raw = ref(false)
    const examples = computed(() => examplesOf(props.param.description))
    const name = computed(() => props.param.name.replaceAll('_', ' '))
    return { raw, examples, name }
  },
  template: `<div class="oy-structured nodrag nowheel">
    <div class="oy-structured-modes" role="group" :aria-label="name + ' editor'">
      <button class="oy-mode-btn" :class="{ active: !raw }" :aria-pressed="!raw" :aria-label="name + ' as a form'"
        @click="raw = false">form</button>
      <button class="oy-mode-btn" :class="{ active: raw }" :aria-pressed="raw" :aria-label="name + ' as JSON'"
        @click="raw = true">{ } JSON</button>
    </div>
    <slot v-if="raw" name="raw"></slot>
    <slot v-else name="form"><JsonForm :value="value" :label="name" :depth="0" :examples="examples" @set="$emit('set', $event)" /></slot>
  </div>`,
}

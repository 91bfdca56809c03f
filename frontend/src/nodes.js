// The canvas's node kinds: a workflow node with typed sockets, a note, and a group frame.
import { Handle, Position } from '@vue-flow/core'
import { computed, inject, onBeforeUnmount, ref, watch } from 'vue'
import { inHandle, outHandle } from './doc.js'
import { PreviewList } from './preview.js'
import { ParamWidget, widgetKind } from './widgets.js'

const STATUS_TEXT = { queued: 'queued', running: 'running', cached: 'cached', done: 'done', error: 'error',
  skipped: 'skipped', cancelled: 'cancelled' }

function splitProblems(list) {
  const byParam = {}
  const general = []
  for (const p of list || []) {
    if (p.field && p.field.startsWith('params.')) (byParam[p.field.slice(7)] ||= []).push(p)
    else general.push(p)
  }
  return { byParam, general }
}

// Every error names its fix: the server's, else the message's own last clause ("...: set overwrite to replace
// it"), else where to look.
export function fixFor(error) {
  if (error?.fix) return error.fix
  const parts = (error?.message || '').split(': ')
  if (parts.length >= 3) return parts[parts.length - 1]
  return "check this node's inputs and parameters against the message, then run again (details in the traceback)"
}

// An unknown node type shows untyped sockets for the links it had, so those links stay drawn and saved.
const unknownPorts = (ports) => ({
  inputs: (ports?.inputs || []).map((name) => ({ name, type: '?', description: 'port of an unknown node type' })),
  outputs: (ports?.outputs || []).map((name) => ({ name, type: '?', description: 'port of an unknown node type' })),
})

// Rough heights of parameter rows, for the far-zoom placeholder of a node never seen up close.
const ROW_PX = { textarea: 74, json: 66, keyframes: 140, script: 90, vector: 46 }
// A parameter that belongs to a mode (its `applies`, e.g. {preset: ['dolly_in', 'dolly_out']}) is shown only
// while the node is in that mode; its value stays in the document either way.
export function shownParams(spec, values) {
  if (!spec) return []
  const current = (name) => (name in values ? values[name] : spec.params.find((q) => q.name === name)?.default)
  return spec.params.filter((p) => !p.applies ||
    Object.entries(p.applies).every(([name, allowed]) => allowed.includes(current(name))))
}

const estimateBody = (spec) => 14 + (spec?.params || []).reduce((h, p) => h + (ROW_PX[widgetKind(p)] || 27), 0)

// One ResizeObserver for every node body: heights arrive batched, with no forced layout.
const sizes = (() => {
  const callbacks = new WeakMap()
  const observer = new ResizeObserver((entries) => {
    for (const e of entries) callbacks.get(e.target)?.(e.borderBoxSize?.[0]?.blockSize ?? e.contentRect.height)
  })
  return {
    observe: (el, cb) => { callbacks.set(el, cb); observer.observe(el) },
    unobserve: (el) => { callbacks.delete(el); observer.unobserve(el) },
  }
})()

export const OysterNode = {
  components: { Handle, ParamWidget, PreviewList },
  props: ['id', 'data', 'selected'],
  setup(props) {
    const ctx = inject('oyster')
    const spec = computed(() => ctx.specOf(props.data))
    const rows = computed(() => {
      const s = spec.value || unknownPorts(props.data.ports)
      const n = Math.max(s.inputs.length, s.outputs.length)
      return Array.from({ length: n }, (_, i) => ({ input: s.inputs[i], output: s.outputs[i] }))
    })
    const color = (t) => ctx.catalog.value.colors[t] || '#9e9e9e'
    const st = computed(() => ctx.statusOf(props.id))
    const problems = computed(() => splitProblems(ctx.problemsOf(props.id)))
    const bypassed = computed(() => props.data.mode === 'bypass')
    const isSubgraph = computed(() => props.data.type === 'subgraph')
    // what a bypassed node passes, e.g. "world → world"
    const passes = computed(() => Object.entries(spec.value?.bypass || {}).map(([o, i]) => `${i} → ${o}`).join(', '))
    const showBody = computed(() => !ctx.far.value && !props.data.collapsed)
    // At the tiniest zoom (a large graph's first draw and fit-all) sockets are hidden and cannot be grabbed:
    // they are plain boxes with the socket's classes and place, which is all the canvas measures to draw the
    // wires. A node seen closer once gets live sockets (wires start there) and keeps them.
    const live = ref(!ctx.tiny.value)
    if (!live.value) {
      const stop = watch(ctx.tiny, (tiny) => {
        if (tiny) return
        live.value = true
        stop()
      })
    }
    const plainHandle = (type, side, handle) => ['vue-flow__handle', `vue-flow__handle-${side}`, `vue-flow__handle-${handle}`,
      'nodrag', 'nopan', type, 'connectable', 'connectablestart', 'connectableend', 'connectionindicator', 'oy-handle']
    // Far away the body becomes a plain block of the same height: the node keeps its size, so
    // zooming across the threshold re-measures nothing and no wire moves.
    const body = ref(null)
    const bodyHeight = ref(null)
    watch(body, (el, old) => {
      if (old) sizes.unobserve(old)
      if (el) sizes.observe(el, (h) => { bodyHeight.value = h })
    })
    onBeforeUnmount(() => body.value && sizes.unobserve(body.value))
    const shown = computed(() => shownParams(spec.value, props.data.params || {}))
    const hidden = computed(() => (spec.value?.params.length || 0) - shown.value.length)
    const farHeight = computed(() => bodyHeight.value ?? (spec.value?.params.length ? estimateBody(spec.value) : 0))
    const editing = ref(false)
    const title = computed(() => props.data.title || spec.value?.title || props.data.type)
    const rename = (e) => {
      editing.value = false
      const next = e.target.value.trim()
      if (next !== title.value) ctx.setData(props.id, ['title'], next || null, 'rename')
    }
    const toggle = () => ctx.setData(props.id, ['collapsed'], !props.data.collapsed, 'collapse')
    const percent = computed(() => Math.round((st.value?.fraction || 0) * 100))
    const seconds = computed(() => {
      const s = st.value?.seconds
      if (typeof s !== 'number' || !['done', 'error'].includes(st.value.status)) return ''
      if (s < 0.001) return `${(s * 1e6).toFixed(0)} µs`
      return s < 1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`
    })
    const paramProblems = (p) => {
      const own = problems.value.byParam[p.name] || []
      const failed = p.widget === 'script' && st.value?.error ? [{ message: st.value.error.message }] : []
      return [...own, ...failed]
    }
    // While a wire is dragged: lit if it fits this socket, dimmed if not.
    const socketClass = (side, port) => {
      const wire = ctx.connecting.value
      if (!wire || wire.nodeId === props.id) return ''
      const ok = wire.handleType === 'source'
        ? side === 'input' && ctx.fits(wire.type, port)
        : side === 'output' && ctx.fits(port.type, wire.port)
      return ok ? 'oy-socket-fits' : 'oy-socket-dim'
    }
    // a node that outputs a world or a simulated shot can be walked through on the Explore page
    const explorable = computed(() => {
      const types = (spec.value?.outputs || []).map((p) => p.type)
      return types.includes('Timeline') ? 'shot' : types.includes('WorldState') ? 'world' : null
    })
    return { live, plainHandle, ctx, explorable, far: ctx.far, bypassed, isSubgraph, passes, enter: () => ctx.enterSubgraph(props.id),
      view: () => ctx.openViewer(props.id), socketClass, fixFor, spec, rows, color, st, problems, paramProblems, showBody, body, farHeight, shown, hidden, editing, title, rename, toggle, percent, seconds,
      Position, inHandle, outHandle, statusText: STATUS_TEXT, category: computed(() => spec.value?.category) }
  },
  template: `<div class="oy-node" :data-node-id="id" :data-type="data.type"
      :class="['oy-cat-' + category, st ? 'oy-status-' + st.status : '', { 'oy-selected': selected,
        'oy-bypassed': bypassed, 'oy-subgraph': isSubgraph, 'oy-accented': !!data.color,
        'oy-has-problem': problems.general.length || Object.keys(problems.byParam).length }]"
      :style="data.color ? { '--oy-accent': data.color } : {}">
    <div class="oy-node-header" @dblclick.stop="editing = true">
      <span class="oy-status-dot" :title="st ? statusText[st.status] : 'not run'"></span>
      <input v-if="editing" class="oy-title-input nodrag" aria-label="node title" :value="title" @blur="rename" @keydown.enter="rename"
        @vue:mounted="({ el }) => el.focus()">
      <span v-else class="oy-node-title" :title="spec ? spec.description : 'unknown node type'">{{ title }}</span>
      <span v-if="bypassed" class="oy-bypass-badge" data-testid="bypass-badge"
        :title="passes ? 'bypassed: passes ' + passes : 'bypassed: passes nothing through'">bypassed</span>
      <button v-if="isSubgraph" class="oy-enter nodrag" :aria-label="'Open subgraph ' + title" title="Open the subgraph"
        @click.stop="enter">open ›</button>
      <span v-if="st" class="oy-node-status" :data-status="st.status">{{ st.status === 'running' ? percent + '%' :
        st.status === 'error' ? 'error' : (seconds || statusText[st.status]) }}</span>
      <button v-if="explorable" class="oy-explore nodrag" data-testid="explore-button" @click.stop="ctx.openExplore(id)"
        :title="'Explore this ' + explorable + ' in a new tab'" :aria-label="'Explore ' + title"><i class="material-icons"
        aria-hidden="true">explore</i></button>
      <button class="oy-collapse nodrag" @click.stop="toggle" :title="data.collapsed ? 'expand' : 'collapse'"
        :aria-label="(data.collapsed ? 'expand ' : 'collapse ') + title">
        {{ data.collapsed ? '▸' : '▾' }}</button>
    </div>
    <div v-if="far && bypassed" class="oy-far-status oy-far-bypass">bypassed</div>
    <div v-if="far && st" class="oy-far-status" :data-status="st.status">{{ st.status === 'running' ? percent + '%' :
      statusText[st.status] }}</div>
    <div v-if="st && st.status === 'running'" class="oy-progress"><div :style="{ width: percent + '%' }"></div></div>
    <div v-if="!spec" class="oy-node-error">{{ isSubgraph ? "missing subgraph '" + data.subgraph + "'" :
      "unknown node type '" + data.type + "'" }}</div>
    <div class="oy-ports">
      <div v-for="(row, i) in rows" :key="i" class="oy-port-row">
        <div class="oy-port oy-port-in" v-if="row.input" :title="row.input.description">
          <Handle v-if="live" type="target" :position="Position.Left" :id="inHandle(row.input.name)" class="oy-handle"
            :class="socketClass('input', row.input)"
            :style="{ background: color(row.input.type) }" :data-port="row.input.name" />
          <div v-else :class="plainHandle('target', 'left', inHandle(row.input.name))" :data-handleid="inHandle(row.input.name)"
            :data-nodeid="id" data-handlepos="left" :style="{ background: color(row.input.type) }" :data-port="row.input.name"></div>
          <span class="oy-port-name">{{ row.input.name }}</span>
          <span class="oy-port-type" :style="{ color: color(row.input.type) }">{{ row.input.type }}{{
            row.input.optional ? '?' : '' }}</span>
        </div>
        <div v-else class="oy-port"></div>
        <div class="oy-port oy-port-out" v-if="row.output" :title="row.output.description">
          <span class="oy-port-type" :style="{ color: color(row.output.type) }">{{ row.output.type }}</span>
          <span class="oy-port-name">{{ row.output.name }}</span>
          <Handle v-if="live" type="source" :position="Position.Right" :id="outHandle(row.output.name)" class="oy-handle"
            :class="socketClass('output', row.output)"
            :style="{ background: color(row.output.type) }" :data-port="row.output.name" />
          <div v-else :class="plainHandle('source', 'right', outHandle(row.output.name))" :data-handleid="outHandle(row.output.name)"
            :data-nodeid="id" data-handlepos="right" :style="{ background: color(row.output.type) }" :data-port="row.output.name"></div>
        </div>
      </div>
    </div>
    <div v-if="showBody" ref="body" class="oy-body">
      <div v-if="spec && spec.params.length" class="oy-params">
        <ParamWidget v-for="p in shown" :key="p.name" :param="p" :value="data.params[p.name]" :node-id="id"
          :problems="paramProblems(p)" />
        <div v-if="hidden" class="oy-params-hidden" :title="'parameters of other modes keep their values'">
          {{ hidden }} more for other modes</div>
      </div>
      <PreviewList v-if="st && st.previews && st.previews.length" :items="st.previews" />
    </div>
    <div v-else-if="!data.collapsed && farHeight" class="oy-body-far" :style="{ height: farHeight + 'px' }"></div>
    <div v-for="(p, i) in problems.general" :key="'p' + i" class="oy-node-error oy-problem">
      <b>{{ p.field || p.kind }}</b>: {{ p.message }}<div v-if="p.fix" class="oy-fix">fix: {{ p.fix }}</div>
    </div>
    <div v-if="st && st.error" class="oy-node-error oy-run-error">
      <div class="oy-error-message">{{ st.error.message }}</div>
      <div class="oy-fix">fix: {{ fixFor(st.error) }}</div>
      <details v-if="st.error.traceback" class="nodrag nowheel"><summary>traceback</summary>
        <pre>{{ st.error.traceback }}</pre></details>
    </div>
    <div v-if="st && st.warnings && st.warnings.length" class="oy-node-warning">
      <div v-for="(w, i) in st.warnings" :key="i">⚠ {{ w }}</div></div>
  </div>`,
}

export const NoteNode = {
  props: ['id', 'data', 'selected'],
  setup(props) {
    const ctx = inject('oyster')
    const set = (e) => ctx.setData(props.id, ['text'], e.target.value, 'edit note')
    return { set }
  },
  template: `<div class="oy-note" :class="{ 'oy-selected': selected }" :data-node-id="id"
      :style="{ width: data.size[0] + 'px', minHeight: data.size[1] + 'px', background: data.color || undefined }">
    <div class="oy-note-grip">note</div>
    <textarea class="nodrag nowheel" aria-label="note text" :value="data.text" @input="set" placeholder="write a note…"></textarea>
  </div>`,
}

export const GroupNode = {
  props: ['id', 'data', 'selected'],
  setup(props) {
    const ctx = inject('oyster')
    const rename = (e) => ctx.setData(props.id, ['title'], e.target.value, 'rename group')
    return { rename }
  },
  template: `<div class="oy-group" :class="{ 'oy-selected': selected }" :data-node-id="id"
      :style="{ width: data.size[0] + 'px', height: data.size[1] + 'px', '--oy-group': data.color || '#5c6bc0' }">
    <input class="oy-group-title nodrag" aria-label="group title" :value="data.title" @change="rename" placeholder="group">
  </div>`,
}

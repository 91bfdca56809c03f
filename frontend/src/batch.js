// The Batch panel: sweep parameters of the saved workflow (node › param and values, or a CSV table), see the
// variant count and every problem as the server's `oyster batch` validation finds them, submit the variants as one
// batch of jobs and follow each job and the whole. A job's node states can be shown on the canvas.
import './panels.css'
import { computed, inject, onBeforeUnmount, onMounted, reactive, ref, watch } from 'vue'

const CHECK_MS = 300
const POLL_MS = 500
const LAST_BATCH = 'oyster-last-batch'

export async function fetchJson(url, options = {}) {
  const res = await fetch(url, { credentials: 'same-origin', ...options,
    headers: { 'content-type': 'application/json', ...(options.headers || {}) } })
  let body = null
  try { body = await res.json() } catch { body = null }
  return { ok: res.ok, status: res.status, body }
}

// Whether the tab's graph is saved, and the saved file still holds what the tab shows.
export async function savedState(apiBase, session, flush) {
  await flush()
  const { ok, body } = await fetchJson(`${apiBase}/api/session/${session}/saved`)
  return ok ? body : { saved: null, current: false }
}

export const SavedNote = {
  props: ['state', 'what'],
  template: `<div v-if="!state.saved" class="oy-panel-note oy-panel-warn" role="status" data-testid="save-first">
      Save the workflow first: {{ what }} a saved workflow.</div>
    <div v-else-if="!state.current" class="oy-panel-note oy-panel-warn" role="status">
      Unsaved changes are not included: save again to use them. Uses saved/{{ state.saved }}.</div>
    <div v-else class="oy-panel-note">Uses saved/{{ state.saved }}</div>`,
}

export const BatchPanel = {
  components: { SavedNote },
  props: ['apiBase', 'session', 'getDoc', 'flush', 'setStatus'],
  emits: ['close'],
  setup(props) {
    const ctx = inject('oyster')
    const state = ref({ saved: null, current: false })
    const rows = ref([])
    const useTable = ref(false)
    const table = ref('')
    const combine = ref('cartesian')
    const check = reactive({ count: null, problems: [], busy: false })
    const batch = ref(null)
    const submitting = ref(false)
    let timer = null
    let poller = null

    // Every parameter of the workflow's nodes, as the picker offers them.
    const choices = computed(() => {
      const out = []
      for (const n of props.getDoc().nodes || []) {
        const spec = ctx.catalog.value.nodes[n.type]
        for (const p of spec?.params || []) {
          out.push({ key: `${n.id}.${p.name}`, label: `${n.editor?.title || spec.title || n.id} (${n.id}) › ${p.name}`,
            value: n.params?.[p.name] ?? p.default })
        }
      }
      return out
    })
    const addRow = () => {
      const taken = new Set(rows.value.map((r) => r.target))
      const next = choices.value.find((c) => !taken.has(c.key)) || choices.value[0]
      rows.value.push({ target: next?.key || '', values: '' })
    }
    const removeRow = (i) => { rows.value.splice(i, 1) }
    const currentOf = (key) => JSON.stringify(choices.value.find((c) => c.key === key)?.value ?? null)
    const sweeps = () => rows.value.filter((r) => r.target && r.values.trim()).map((r) => `${r.target}=${r.values.trim()}`)
    // a problem's row is the index among the sweeps sent; map it back to the row shown
    const sentRows = () => rows.value.map((r, i) => [r, i]).filter(([r]) => r.target && r.values.trim()).map(([, i]) => i)
    const rowProblems = (i) => {
      const sent = sentRows()
      return check.problems.filter((p) => p.row !== undefined && sent[p.row] === i)
    }
    const otherProblems = computed(() => check.problems.filter((p) => p.row === undefined))
    const request = (dryRun) => ({ saved: state.value.saved, sweeps: sweeps(), combine: combine.value,
      table: useTable.value && table.value.trim() ? table.value : null, dry_run: dryRun })

    const validate = async () => {
      if (!state.value.saved) return
      check.busy = true
      const { ok, body } = await fetchJson(`${props.apiBase}/api/batches`, { method: 'POST',
        body: JSON.stringify(request(true)) })
      check.busy = false
      check.count = ok ? body.count : null
      check.problems = ok ? [] : body?.problems || [{ text: 'the server refused the batch' }]
    }
    const schedule = () => { clearTimeout(timer); timer = setTimeout(validate, CHECK_MS) }
    watch([rows, useTable, table, combine], schedule, { deep: true })

    const poll = async () => {
      if (!batch.value) return
      const { ok, status, body } = await fetchJson(`${props.apiBase}/api/batches/${batch.value.batch}`)
      if (status === 404) {
        sessionStorage.removeItem(LAST_BATCH)
        batch.value = null
        return
      }
      if (ok) batch.value = { ...batch.value, ...body }
      if (!ok || !body.complete) poller = setTimeout(poll, POLL_MS)
    }
    const submit = async () => {
      submitting.value = true
      const { ok, body } = await fetchJson(`${props.apiBase}/api/batches`, { method: 'POST',
        body: JSON.stringify(request(false)) })
      submitting.value = false
      if (!ok) {
        check.problems = body?.problems || [{ text: 'the server refused the batch' }]
        return
      }
      clearTimeout(poller)
      sessionStorage.setItem(LAST_BATCH, body.batch)
      batch.value = { ...body, jobs: body.jobs.map((j) => ({ ...j, state: 'queued', fraction: 0, outputs: [] })),
        total: body.count, finished: 0, fraction: 0, complete: false }
      poll()
    }
    const showJob = async (id) => {
      const { ok, body } = await fetchJson(`${props.apiBase}/api/jobs/${id}`)
      if (ok) props.setStatus(body.nodes || {}, true)
    }
    const labelOf = (j) => j.label || j.name

    onMounted(async () => {
      state.value = await savedState(props.apiBase, props.session, props.flush)
      if (!rows.value.length) addRow()
      validate()
      const last = sessionStorage.getItem(LAST_BATCH)
      if (last && !batch.value) {
        batch.value = { batch: last, jobs: [], total: 0, finished: 0, fraction: 0 }
        poll()
      }
    })
    onBeforeUnmount(() => { clearTimeout(timer); clearTimeout(poller) })
    return { state, rows, choices, addRow, removeRow, currentOf, useTable, table, combine, check, rowProblems, otherProblems,
      submit, submitting, batch, showJob, labelOf, pct: (f) => `${Math.round((f || 0) * 100)}%` }
  },
  template: `<section class="oy-side-panel" role="dialog" aria-label="Batch" data-testid="batch-panel">
    <div class="oy-sheet-head">Batch<button aria-label="Close the batch panel" @click="$emit('close')">✕</button></div>
    <SavedNote :state="state" what="a batch sweeps" />
    <template v-if="state.saved">
      <div class="oy-panel-label">Sweeps</div>
      <div v-for="(r, i) in rows" :key="i" class="oy-sweep" :data-row="i">
        <div class="oy-sweep-line">
          <select v-model="r.target" :aria-label="'Parameter to sweep, row ' + (i + 1)" data-testid="sweep-param">
            <option v-for="c in choices" :key="c.key" :value="c.key">{{ c.label }}</option>
          </select>
          <button class="oy-panel-x" :aria-label="'Remove sweep row ' + (i + 1)" @click="removeRow(i)">✕</button>
        </div>
        <div class="oy-panel-note">now {{ currentOf(r.target) }}</div>
        <input v-model="r.values" class="oy-panel-input" :aria-label="'Values, row ' + (i + 1)" data-testid="sweep-values"
          placeholder="1,2,3  or  1..20  or  0..100:10">
        <div v-for="(p, k) in rowProblems(i)" :key="k" class="oy-panel-problem" role="alert">{{ p.message }}
          <span v-if="p.fix" class="oy-panel-fix">fix: {{ p.fix }}</span></div>
      </div>
      <button class="oy-panel-btn" aria-label="Add a sweep" @click="addRow">+ sweep</button>
      <label class="oy-panel-check"><input type="checkbox" v-model="useTable" aria-label="Use a CSV table"> CSV table</label>
      <textarea v-if="useTable" v-model="table" class="oy-panel-input oy-panel-table" aria-label="CSV table of variants"
        placeholder="cam.seed,cam.azimuth_deg&#10;1,0&#10;2,90"></textarea>
      <label class="oy-panel-row">Combine
        <select v-model="combine" aria-label="How sweeps combine"><option value="cartesian">every combination</option>
          <option value="zip">zipped (k-th values together)</option></select></label>
      <div v-for="(p, k) in otherProblems" :key="'o' + k" class="oy-panel-problem" role="alert">{{ p.text || p.message }}
        <span v-if="p.fix" class="oy-panel-fix">fix: {{ p.fix }}</span></div>
      <div class="oy-panel-row">
        <span class="oy-panel-count" data-testid="variant-count" aria-live="polite">{{ check.count === null ? '—' : check.count }}
          variant{{ check.count === 1 ? '' : 's' }}</span>
        <button class="oy-panel-go" data-testid="batch-submit" :disabled="!check.count || submitting || check.problems.length"
          aria-label="Submit the batch" @click="submit">Submit</button>
      </div>
      <div v-if="batch" class="oy-batch" data-testid="batch-progress">
        <div class="oy-panel-label">Batch {{ batch.batch }} · {{ batch.finished }}/{{ batch.total }} finished
          <span v-if="batch.added !== undefined">({{ batch.added }} new)</span></div>
        <div class="oy-bar" role="progressbar" aria-label="Batch progress" :aria-valuenow="Math.round(batch.fraction * 100)"
          aria-valuemin="0" aria-valuemax="100"><div :style="{ width: pct(batch.fraction) }"></div></div>
        <div v-for="j in batch.jobs" :key="j.id" class="oy-batch-job" :data-state="j.state" data-testid="batch-job">
          <div class="oy-panel-row"><span class="oy-dot" :class="'oy-' + j.state"></span>
            <span class="oy-batch-label">#{{ j.index + 1 }} {{ labelOf(j) }}</span>
            <span class="oy-batch-state">{{ j.state }}</span>
            <button class="oy-panel-x" :aria-label="'Show job ' + (j.index + 1) + ' on the canvas'" title="Show on the canvas"
              @click="showJob(j.id)"><i class="material-icons" aria-hidden="true">visibility</i></button></div>
          <div class="oy-bar oy-bar-thin"><div :style="{ width: pct(j.fraction) }"></div></div>
          <div v-if="j.message && j.state !== 'done'" class="oy-panel-note">{{ j.message }}</div>
          <a v-for="o in j.outputs" :key="o.path" class="oy-batch-out" :href="o.url" target="_blank" rel="noopener">{{ o.path }}</a>
        </div>
      </div>
    </template>
  </section>`,
}

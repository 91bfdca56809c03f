// The Schedules panel: cron schedules of saved workflows with their next fire in their own time zone, their
// missed-run policy and last fire; add one for the saved workflow of this tab, run one now, remove one.
import './panels.css'
import { computed, onBeforeUnmount, onMounted, reactive, ref } from 'vue'
import { SavedNote, fetchJson, savedState } from './batch.js'

const REFRESH_MS = 5000

const localZone = () => {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' } catch { return 'UTC' }
}
// "2026-12-03T02:30:00+01:00" as "2026-12-03 02:30 (+01:00)": the time as the schedule's zone reads it
const showTime = (iso) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} (${iso.slice(19) || 'UTC'})` : '—')

export const SchedulesPanel = {
  components: { SavedNote },
  props: ['apiBase', 'session', 'flush'],
  emits: ['close'],
  setup(props) {
    const state = ref({ saved: null, current: false, name: '' })
    const list = ref([])
    const form = reactive({ name: '', cron: '0 2 * * *', timezone: localZone(), policy: 'skip', catch_up: 3 })
    const problems = ref([])
    const message = ref('')
    let timer = null

    const refresh = async () => {
      const { ok, body } = await fetchJson(`${props.apiBase}/api/schedules`)
      if (ok) list.value = body
      clearTimeout(timer)
      timer = setTimeout(refresh, REFRESH_MS)
    }
    const fieldProblems = (name) => problems.value.filter((p) => p.field === name)
    const otherProblems = computed(() => problems.value.filter((p) => !['name', 'cron', 'timezone', 'policy',
      'catch_up'].includes(p.field)))
    const add = async () => {
      message.value = ''
      const body = { name: form.name.trim(), saved: state.value.saved, cron: form.cron.trim(),
        timezone: form.timezone.trim(), policy: form.policy, catch_up: form.policy === 'catch-up' ? Number(form.catch_up) : 0 }
      const res = await fetchJson(`${props.apiBase}/api/schedules`, { method: 'POST', body: JSON.stringify(body) })
      problems.value = res.ok ? [] : res.body?.problems || [{ text: `refused (${res.status})` }]
      if (res.ok) message.value = `Added “${res.body.name}”: next ${showTime(res.body.next_fire)}`
      refresh()
    }
    const remove = async (name) => {
      await fetchJson(`${props.apiBase}/api/schedules/${encodeURIComponent(name)}`, { method: 'DELETE' })
      message.value = `Removed “${name}”`
      refresh()
    }
    const runNow = async (name) => {
      const { ok, body } = await fetchJson(`${props.apiBase}/api/schedules/${encodeURIComponent(name)}/run-now`,
        { method: 'POST', body: '{}' })
      message.value = ok ? `Queued job ${body.job} from “${name}”` : `Cannot run “${name}”`
    }
    onMounted(async () => {
      state.value = await savedState(props.apiBase, props.session, props.flush)
      form.name = state.value.name || ''
      refresh()
    })
    onBeforeUnmount(() => clearTimeout(timer))
    return { state, list, form, problems, fieldProblems, otherProblems, add, remove, runNow, message, showTime }
  },
  template: `<section class="oy-side-panel" role="dialog" aria-label="Schedules" data-testid="schedules-panel">
    <div class="oy-sheet-head">Schedules<button aria-label="Close the schedules panel" @click="$emit('close')">✕</button></div>
    <div v-if="!list.length" class="oy-panel-note">No schedules yet.</div>
    <div v-for="s in list" :key="s.id" class="oy-schedule" :data-name="s.name" data-testid="schedule-row">
      <div class="oy-panel-row"><span class="oy-batch-label">{{ s.name }}</span>
        <button class="oy-panel-x" :aria-label="'Run schedule ' + s.name + ' now'" title="Run now" @click="runNow(s.name)">
          <i class="material-icons" aria-hidden="true">play_arrow</i></button>
        <button class="oy-panel-x" :aria-label="'Remove schedule ' + s.name" title="Remove" @click="remove(s.name)">
          <i class="material-icons" aria-hidden="true">delete_outline</i></button></div>
      <div class="oy-panel-note"><code>{{ s.cron }}</code> in {{ s.timezone }} · missed: {{ s.missed }}</div>
      <div class="oy-panel-note" data-testid="next-fire">next {{ showTime(s.next_fire) }} · last {{ showTime(s.last_fire) }}</div>
      <div class="oy-panel-note">{{ s.source }}</div>
    </div>
    <div class="oy-panel-label">Add a schedule</div>
    <SavedNote :state="state" what="a schedule queues" />
    <template v-if="state.saved">
      <label class="oy-panel-field">Name<input v-model="form.name" class="oy-panel-input" aria-label="Schedule name"></label>
      <div v-for="(p, k) in fieldProblems('name')" :key="'n' + k" class="oy-panel-problem" role="alert">{{ p.message }}</div>
      <label class="oy-panel-field">Cron<input v-model="form.cron" class="oy-panel-input" aria-label="Cron expression"
        placeholder="minute hour day month weekday"></label>
      <div v-for="(p, k) in fieldProblems('cron')" :key="'c' + k" class="oy-panel-problem" role="alert">{{ p.message }}
        <span class="oy-panel-fix">fix: {{ p.fix }}</span></div>
      <label class="oy-panel-field">Time zone<input v-model="form.timezone" class="oy-panel-input" aria-label="Time zone"></label>
      <div v-for="(p, k) in fieldProblems('timezone')" :key="'t' + k" class="oy-panel-problem" role="alert">{{ p.message }}</div>
      <label class="oy-panel-field">Missed fires<select v-model="form.policy" aria-label="Missed-run policy">
        <option value="skip">skip them</option><option value="once">run once</option>
        <option value="catch-up">catch up the latest N</option></select></label>
      <label v-if="form.policy === 'catch-up'" class="oy-panel-field">N<input v-model="form.catch_up" type="number" min="1"
        class="oy-panel-input" aria-label="How many missed fires to catch up"></label>
      <div v-for="(p, k) in fieldProblems('catch_up')" :key="'u' + k" class="oy-panel-problem" role="alert">{{ p.message }}
        <span class="oy-panel-fix">fix: {{ p.fix }}</span></div>
      <div v-for="(p, k) in otherProblems" :key="'o' + k" class="oy-panel-problem" role="alert">{{ p.text || p.message }}</div>
      <button class="oy-panel-go" aria-label="Add the schedule" data-testid="schedule-add" @click="add">Add</button>
    </template>
    <div v-if="message" class="oy-panel-note" role="status" data-testid="schedule-message">{{ message }}</div>
  </section>`,
}

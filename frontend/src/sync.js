// Keeps the server's copy of this tab's graph current (over HTTP, so large graphs never hit the
// websocket's message limit) and applies the validation problems it answers with. Every version sent is
// kept in the tab until the server acknowledges it (keep.js), and sent again after a failure.

import { dropCopy, keepCopy, keptCopy } from './keep.js'

const DEBOUNCE_MS = 350
// however long the typing goes on, an edit reaches the server's journal within this
const MAX_WAIT_MS = 700
// the server's MAX_OPEN_BYTES: dropped renders (PNG, MP4, GLB) carrying a workflow can be large
const MAX_UPLOAD = 512 * 1024 * 1024
// answers after which the same graph is sent again (a 404 is kept for the reloaded page instead)
const RETRIED = new Set([404, 408, 425, 429])
const RETRY_FIRST_MS = 500
const RETRY_MAX_MS = 10_000

export function createSync({ props, problems, saved, getDoc }) {
  let timer = null
  let retryTimer = null
  let inflight = null
  let pending = false
  let failures = 0
  const base = () => `${props.apiBase}/api/session/${props.session}`

  const self = {
    rev: 0,
    // the journal version the server last acknowledged (or the page loaded), and the last one given to a copy
    seq: 0,
    sent: 0,
    docId: null,
    schedule() {
      if (!pending) self.firstPending = performance.now()
      pending = true
      clearTimeout(timer)
      const wait = Math.max(0, Math.min(DEBOUNCE_MS, self.firstPending + MAX_WAIT_MS - performance.now()))
      timer = setTimeout(() => self.flush(), wait)
    },
    get pending() {
      return pending || !!inflight
    },
    // The graph as the next journal version: kept in the tab first, so no answer (or none at all) can lose it.
    snapshot() {
      const docText = JSON.stringify(getDoc())
      const seq = ++self.sent
      const docId = self.docId || props.docId
      self.kept = keepCopy(docId, seq, docText)
      return { seq, docId, body: `{"rev":${self.rev},"seq":${seq},"doc":${docText}}` }
    },
    // The page is going away: keep what is pending and send it in a request that outlives the page.
    flushNow() {
      if (!pending) return
      pending = false
      clearTimeout(timer)
      const { body } = self.snapshot()
      fetch(`${base()}/doc`, { method: 'PUT', credentials: 'same-origin', keepalive: true,
        headers: { 'content-type': 'application/json' }, body }).catch(() => {})
    },
    async flush() {
      clearTimeout(timer)
      while (inflight) await inflight
      if (!pending) return
      pending = false
      inflight = self.put()
      try {
        await inflight
      } finally {
        inflight = null
      }
    },
    async put() {
      const snap = self.snapshot()
      let res
      try {
        res = await fetch(`${base()}/doc`, {
          method: 'PUT', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: snap.body,
        })
      } catch {
        return self.failed('offline')
      }
      if (res.status === 409) return
      if (RETRIED.has(res.status) || res.status >= 500) return self.failed(res.status)
      if (!res.ok) {
        dropCopy(snap.docId, snap.seq)  // the server refused this graph (it says why): sending it again cannot help
        saved.value = `not journaled (${res.status})`
        return
      }
      const body = await res.json()
      failures = 0
      self.seq = Math.max(self.seq, body.seq ?? snap.seq)
      self.sent = Math.max(self.sent, self.seq)
      dropCopy(snap.docId, snap.seq)
      self.applyProblems(body.problems || [])
      self.journaled = performance.now()
      saved.value = body.autosaved ? `journaled ${new Date().toLocaleTimeString()}` : ''
    },
    // Not acknowledged: the copy stays in the tab. A dropped session (404) never comes back, and the page
    // reloads itself when its socket reconnects, so that copy is applied then; anything else is sent again.
    failed(why) {
      pending = true
      const where = self.kept ? 'kept in this tab' : 'too large to keep in this tab: save or download it'
      if (why === 404) {
        saved.value = `not journaled: the server dropped this tab (your edit is ${where} and comes back when the page reloads)`
        return
      }
      failures++
      const wait = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (failures - 1))
      saved.value = `not journaled (${why}): ${where}, trying again in ${Math.round(wait / 1000)} s`
      clearTimeout(retryTimer)
      retryTimer = setTimeout(() => self.flush(), wait)
    },
    // A graph the server sends (opened, reopened, uploaded): its revision, journal and journal version. Returns
    // the copy this tab kept of that journal (or of `resumedFrom`, a journal the server no longer has) when
    // it is newer than what the server holds; an older copy is forgotten.
    loaded(payload, resumedFrom = null) {
      self.rev = payload.rev
      self.docId = payload.doc_id || props.docId
      self.seq = self.sent = payload.seq || 0
      const own = keptCopy(self.docId)
      if (own && own.seq <= self.seq) dropCopy(self.docId, own.seq)  // the journal is as new or newer
      else if (own) return self.adopt(own)
      const lost = resumedFrom && resumedFrom !== self.docId ? keptCopy(resumedFrom) : null
      if (!lost) return null
      dropCopy(resumedFrom)
      return self.adopt(lost)
    },
    // Drop the copy kept for this graph.
    forget() {
      dropCopy(self.docId)
    },
    // Take a kept copy as this graph's newest version: journal it as soon as possible.
    adopt(copy) {
      self.sent = Math.max(self.sent, copy.seq)
      self.kept = keepCopy(self.docId, ++self.sent, JSON.stringify(copy.doc))
      setTimeout(() => self.schedule())
      return copy
    },
    applyProblems(list) {
      for (const k of Object.keys(problems)) delete problems[k]
      for (const p of list) (problems[p.node || ''] ||= []).push(p)
    },
    async fetchDoc() {
      const res = await fetch(`${base()}/doc`, { credentials: 'same-origin' })
      return res.json()
    },
    async upload(file) {
      if (file.size > MAX_UPLOAD) return { error: `${file.name} is larger than 512 MB` }
      const res = await fetch(`${base()}/open?name=${encodeURIComponent(file.name)}`, {
        method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/octet-stream' },
        body: file,  // the bytes as they are: exports carry their workflow in binary containers
      })
      const body = await res.json()
      if (!res.ok) return { error: (body.problems || []).map((p) => p.text || p.message).join('\n') || 'cannot open' }
      return body
    },
    stop() {
      clearTimeout(timer)
      clearTimeout(retryTimer)
    },
  }
  return self
}

// Keeps the server's copy of this tab's graph current (over HTTP, so large graphs never hit the
// websocket's message limit) and applies the validation problems it answers with.

const DEBOUNCE_MS = 350
// however long the typing goes on, an edit reaches the server's journal within this
const MAX_WAIT_MS = 700
// the server's MAX_OPEN_BYTES: dropped renders (PNG, MP4, GLB) carrying a workflow can be large
const MAX_UPLOAD = 512 * 1024 * 1024

export function createSync({ props, problems, saved, getDoc }) {
  let timer = null
  let inflight = null
  let pending = false
  const base = () => `${props.apiBase}/api/session/${props.session}`

  const self = {
    rev: 0,
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
    // The page is going away: send what is pending in a request that outlives it.
    flushNow() {
      if (!pending) return
      pending = false
      clearTimeout(timer)
      fetch(`${base()}/doc`, { method: 'PUT', credentials: 'same-origin', keepalive: true,
        headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rev: self.rev, doc: getDoc() }) })
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
      const doc = getDoc()
      const res = await fetch(`${base()}/doc`, {
        method: 'PUT', credentials: 'same-origin', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rev: self.rev, doc }),
      })
      if (res.status === 409) return
      if (!res.ok) {
        saved.value = `not journaled (${res.status})`
        return
      }
      const body = await res.json()
      self.applyProblems(body.problems || [])
      self.journaled = performance.now()
      saved.value = body.autosaved ? `journaled ${new Date().toLocaleTimeString()}` : ''
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
    },
  }
  return self
}

// The tab's own copies of graphs it sent to the journal but the server has not acknowledged yet.
//
// They live in sessionStorage: written synchronously (so a copy made while the page unloads is there
// when it loads again), kept through reloads and crashes of the page, and seen by this tab only. A copy
// is numbered with the journal version it was sent as; the server's acknowledgement of that version (or a
// newer one) removes it, and a reopened page applies it only over an older journal.

const PREFIX = 'oyster-unjournaled:'
// copies of other graphs (the tab opened another before one was acknowledged) are kept too, a few at most
const MAX_KEPT = 4

const keyOf = (docId) => PREFIX + docId

const keptKeys = () => {
  const keys = []
  for (let i = 0; i < sessionStorage.length; i++) {
    const key = sessionStorage.key(i)
    if (key?.startsWith(PREFIX)) keys.push(key)
  }
  return keys
}

// A copy's version and time, read from the head of its text (the graph after them is never parsed for this).
const HEAD = /^\{"seq":(\d+),"at":(\d+),/
const headOf = (text) => {
  const m = HEAD.exec(text?.slice(0, 64) || '')
  return m ? { seq: Number(m[1]), at: Number(m[2]) } : null
}
const stampOf = (key) => headOf(sessionStorage.getItem(key))?.at || 0

// Keep `docText` (the graph as JSON) as version `seq` of journal `docId`; false when the browser has no room.
export function keepCopy(docId, seq, docText) {
  if (!docId) return false
  const text = `{"seq":${seq},"at":${Date.now()},"doc":${docText}}`
  const others = keptKeys().filter((k) => k !== keyOf(docId))
  if (others.length >= MAX_KEPT) others.sort((a, b) => stampOf(a) - stampOf(b))
  while (others.length >= MAX_KEPT) sessionStorage.removeItem(others.shift())
  for (;;) {
    try {
      sessionStorage.setItem(keyOf(docId), text)
      return true
    } catch {
      if (!others.length) return false
      others.sort((a, b) => stampOf(a) - stampOf(b))
      sessionStorage.removeItem(others.shift())  // full: older graphs' copies make room for this one
    }
  }
}

// The copy kept for journal `docId`: { seq, at, doc }, or null.
export function keptCopy(docId) {
  if (!docId) return null
  const text = sessionStorage.getItem(keyOf(docId))
  if (!text) return null
  try {
    const copy = JSON.parse(text)
    if (Number.isInteger(copy.seq) && copy.doc && typeof copy.doc === 'object') return copy
  } catch { /* a damaged copy is dropped below */ }
  sessionStorage.removeItem(keyOf(docId))
  return null
}

// Forget the copy of `docId` if the journal holds its version or a newer one (`upTo`; all when omitted).
export function dropCopy(docId, upTo = Infinity) {
  if (!docId) return
  const head = headOf(sessionStorage.getItem(keyOf(docId)))
  if (!head || head.seq <= upTo) sessionStorage.removeItem(keyOf(docId))
}

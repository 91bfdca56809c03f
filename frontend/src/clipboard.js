// Copy and paste of nodes with the links between them, through the system clipboard when the
// browser allows it and an in-page clipboard when it does not.
import { edgeId, handleName } from './doc.js'

const KINDS = new Set(['oyster', 'note', 'group'])
const MAX_PASTE = 2000
const OFFSET = 40

function parse(text) {
  try {
    const clip = JSON.parse(text)
    if (clip?.oyster !== 'clipboard' || !Array.isArray(clip.nodes) || !Array.isArray(clip.edges)) return null
    if (clip.nodes.length > MAX_PASTE || clip.edges.length > 4 * MAX_PASTE) return null
    if (!clip.nodes.every((n) => KINDS.has(n?.type) && typeof n.id === 'string' && n.data && n.position)) return null
    return clip
  } catch {
    return null
  }
}

const editable = (target) => ['input', 'textarea', 'select'].includes((target?.tagName || '').toLowerCase())

export function createClipboard({ flow, model, plainNode, plainEdge, takenIds, freshId, paste }) {
  let internal = null
  let timer = null
  let count = 0

  const snapshot = () => {
    const nodes = flow.getSelectedNodes.value
    const ids = new Set(nodes.map((n) => n.id))
    const edges = model.edgeList.filter((e) => ids.has(e.source) && ids.has(e.target))
    return { oyster: 'clipboard', nodes: nodes.map(plainNode), edges: edges.map(plainEdge) }
  }

  const materialise = (clip) => {
    count += 1
    const taken = takenIds()
    const rename = {}
    for (const n of clip.nodes) {
      rename[n.id] = freshId(n.type === 'oyster' ? n.data.type : n.type, taken)
      taken.add(rename[n.id])
    }
    const nodes = clip.nodes.map((n) => ({ ...n, id: rename[n.id],
      position: { x: n.position.x + OFFSET * count, y: n.position.y + OFFSET * count } }))
    const edges = clip.edges.filter((e) => rename[e.source] && rename[e.target]).map((e) => {
      const link = { from_node: rename[e.source], from_output: handleName(e.sourceHandle),
        to_node: rename[e.target], to_input: handleName(e.targetHandle) }
      return { ...e, id: edgeId(link), source: link.from_node, target: link.to_node }
    })
    return { nodes, edges }
  }

  const doPaste = (clip) => {
    if (!clip || !clip.nodes.length) return
    const { nodes, edges } = materialise(clip)
    paste(nodes, edges)
  }

  return {
    copy() {
      const clip = snapshot()
      if (!clip.nodes.length) return
      internal = clip
      count = 0
    },
    toEvent(e) {
      if (editable(e.target)) return
      const clip = snapshot()
      if (!clip.nodes.length) return
      internal = clip
      count = 0
      e.clipboardData?.setData('text/plain', JSON.stringify(clip))
      e.preventDefault()
    },
    fromEvent(e) {
      if (editable(e.target)) return
      const clip = parse(e.clipboardData?.getData('text/plain') || '')
      clearTimeout(timer)
      timer = null
      e.preventDefault()
      doPaste(clip || internal)
    },
    pasteSoon(delay = 80) {
      clearTimeout(timer)
      timer = setTimeout(() => {
        timer = null
        doPaste(internal)
      }, delay)
    },
  }
}

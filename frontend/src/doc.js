// Converts between workflow format v1 documents and the canvas's nodes and edges.

export const NODE_WIDTH = 270

export const inHandle = (name) => `in:${name}`
export const outHandle = (name) => `out:${name}`
export const handleName = (handle) => (handle || '').slice(handle.indexOf(':') + 1)

export function edgeId(link) {
  return `${link.from_node}.${link.from_output}->${link.to_node}.${link.to_input}`
}

export function makeEdge(catalog, link, sourceType) {
  const color = sourceType ? outputColor(catalog, sourceType, link.from_output) : '#888'
  return {
    id: edgeId(link),
    source: link.from_node,
    sourceHandle: outHandle(link.from_output),
    target: link.to_node,
    targetHandle: inHandle(link.to_input),
    style: { stroke: color, strokeWidth: 2.5 },
    data: { color },
  }
}

export function outputColor(catalog, nodeType, output) {
  const spec = catalog.nodes[nodeType]
  const port = spec?.outputs.find((p) => p.name === output)
  return (port && catalog.colors[port.type]) || '#9e9e9e'
}

export function defaultParams(spec) {
  const params = {}
  for (const p of spec.params) params[p.name] = p.default === undefined ? null : JSON.parse(JSON.stringify(p.default))
  return params
}

export function flowNode(ref, spec) {
  const params = { ...(spec ? defaultParams(spec) : {}), ...(ref.params || {}) }
  return {
    id: ref.id,
    type: 'oyster',
    position: { x: ref.editor?.position?.[0] ?? 0, y: ref.editor?.position?.[1] ?? 0 },
    data: {
      type: ref.type,
      params,
      title: ref.editor?.title ?? null,
      color: ref.editor?.color ?? null,
      collapsed: !!ref.editor?.collapsed,
      device: ref.device ?? null,
      widgets: { ...(ref.editor?.widgets || {}) },
    },
  }
}

export function noteNode(note) {
  return {
    id: note.id,
    type: 'note',
    position: { x: note.position?.[0] ?? 0, y: note.position?.[1] ?? 0 },
    data: { text: note.text || '', color: note.color ?? null, size: note.size ?? [220, 120] },
  }
}

export function groupNode(group) {
  const [x, y, w, h] = group.rect || [0, 0, 400, 300]
  return {
    id: group.id,
    type: 'group',
    position: { x, y },
    zIndex: -10,
    data: { title: group.title || '', color: group.color ?? null, size: [w, h], nodes: [...(group.nodes || [])] },
  }
}

export function fromDoc(catalog, doc) {
  const nodes = [
    ...(doc.groups || []).map(groupNode),
    ...(doc.nodes || []).map((ref) => flowNode(ref, catalog.nodes[ref.type])),
    ...(doc.notes || []).map(noteNode),
  ]
  const types = Object.fromEntries((doc.nodes || []).map((n) => [n.id, n.type]))
  const edges = (doc.links || []).map((l) => makeEdge(catalog, l, types[l.from_node]))
  return { nodes, edges }
}

// A group holds the workflow nodes whose centre lies inside its frame.
export function membersOf(rect, nodes) {
  const [x, y, w, h] = rect
  return nodes.filter((n) => n.type === 'oyster').filter((n) => {
    const cx = n.position.x + (n.dimensions?.width || NODE_WIDTH) / 2
    const cy = n.position.y + (n.dimensions?.height || 60) / 2
    return cx >= x && cx <= x + w && cy >= y && cy <= y + h
  }).map((n) => n.id)
}

const round = (v) => Math.round(v * 10) / 10

export function toDoc(meta, nodes, edges) {
  const doc = { format: 'oyster-workflow', version: 1, metadata: meta, nodes: [], links: [], groups: [], notes: [] }
  for (const n of nodes) {
    const position = [round(n.position.x), round(n.position.y)]
    if (n.type === 'oyster') {
      const editor = { position, collapsed: !!n.data.collapsed }
      if (n.data.title) editor.title = n.data.title
      if (n.data.color) editor.color = n.data.color
      if (n.data.widgets && Object.keys(n.data.widgets).length) editor.widgets = { ...n.data.widgets }
      const ref = { id: n.id, type: n.data.type, params: n.data.params, editor }
      if (n.data.device) ref.device = n.data.device
      doc.nodes.push(ref)
    } else if (n.type === 'note') {
      doc.notes.push({ id: n.id, text: n.data.text, position, size: n.data.size, color: n.data.color })
    } else if (n.type === 'group') {
      const rect = [...position, n.data.size[0], n.data.size[1]]
      doc.groups.push({ id: n.id, title: n.data.title, color: n.data.color, nodes: membersOf(rect, nodes), rect })
    }
  }
  for (const e of edges) {
    doc.links.push({
      from_node: e.source, from_output: handleName(e.sourceHandle),
      to_node: e.target, to_input: handleName(e.targetHandle),
    })
  }
  return doc
}

export function freshId(base, taken) {
  const stem = (base.split('.').pop() || 'node').replace(/[^A-Za-z0-9_]/g, '_')
  let i = 1
  while (taken.has(`${stem}${i}`)) i++
  return `${stem}${i}`
}

// The workflow document the editor holds (the truth), and conversion between workflow format v2 and the
// canvas's nodes and edges. The canvas only renders the model: save, download, autosave and run serialise it.

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
    ariaLabel: `${ref.editor?.title || spec?.title || ref.type} node`,
    position: { x: ref.editor?.position?.[0] ?? 0, y: ref.editor?.position?.[1] ?? 0 },
    data: {
      type: ref.type,
      params,
      title: ref.editor?.title ?? null,
      color: ref.editor?.color ?? null,
      collapsed: !!ref.editor?.collapsed,
      device: ref.device ?? null,
      widgets: { ...(ref.editor?.widgets || {}) },
      mode: ref.mode || 'normal',
      subgraph: ref.subgraph ?? null,
    },
  }
}

export function noteNode(note) {
  return {
    id: note.id,
    type: 'note',
    ariaLabel: 'note',
    position: { x: note.position?.[0] ?? 0, y: note.position?.[1] ?? 0 },
    data: { text: note.text || '', color: note.color ?? null, size: note.size ?? [220, 120] },
  }
}

export function groupNode(group) {
  const [x, y, w, h] = group.rect || [0, 0, 400, 300]
  return {
    id: group.id,
    type: 'group',
    ariaLabel: `group ${group.title || ''}`.trim(),
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
  // A node of an unknown type gets sockets for the links it has, so they are drawn and kept.
  const byId = new Map(nodes.map((n) => [n.id, n]))
  for (const l of doc.links || []) {
    for (const [id, side, name] of [[l.from_node, 'outputs', l.from_output], [l.to_node, 'inputs', l.to_input]]) {
      const n = byId.get(id)
      if (!n || n.type !== 'oyster' || catalog.nodes[n.data.type]) continue
      n.data.ports ||= { inputs: [], outputs: [] }
      if (!n.data.ports[side].includes(name)) n.data.ports[side].push(name)
    }
  }
  return { nodes, edges }
}

const clone = (value) => JSON.parse(JSON.stringify(value))

// The whole graph, in file order: nodes and edges keep the place they were loaded or created at, so a
// delete and its undo (or two saves) serialise identically.
export class Model {
  constructor() {
    this.reset([], [], { name: 'untitled' })
  }

  reset(nodes, edges, meta) {
    this.meta = meta
    this.nodes = new Map()
    this.edges = new Map()
    this.order = new Map()
    this.seq = 0
    nodes.forEach((n) => this.addNode(n))
    edges.forEach((e) => this.addEdge(e))
  }

  place(key) {
    if (!this.order.has(key)) this.order.set(key, ++this.seq)
  }

  addNode(n) {
    this.place(`n:${n.id}`)
    this.nodes.set(n.id, { id: n.id, type: n.type, ariaLabel: n.ariaLabel, position: { ...n.position }, zIndex: n.zIndex,
      data: clone(n.data) })
  }

  addEdge(e) {
    this.place(`e:${e.id}`)
    this.edges.set(e.id, { id: e.id, source: e.source, sourceHandle: e.sourceHandle, target: e.target,
      targetHandle: e.targetHandle, style: e.style, data: e.data })
  }

  sorted(map, prefix) {
    return [...map.values()].sort((a, b) => this.order.get(prefix + a.id) - this.order.get(prefix + b.id))
  }

  get nodeList() {
    return this.sorted(this.nodes, 'n:')
  }

  get edgeList() {
    return this.sorted(this.edges, 'e:')
  }

  setData(id, path, value) {
    const node = this.nodes.get(id)
    if (!node) return
    let target = node.data
    for (const key of path.slice(0, -1)) target = target[key] ??= {}
    target[path[path.length - 1]] = clone(value)
  }

  get workflowCount() {
    let count = 0
    for (const n of this.nodes.values()) if (n.type === 'oyster') count++
    return count
  }
}

// A group holds the workflow nodes whose centre lies inside its frame.
export function membersOf(rect, nodes, sizeOf = (n) => n.dimensions) {
  const [x, y, w, h] = rect
  return nodes.filter((n) => n.type === 'oyster').filter((n) => {
    const size = sizeOf(n)
    const cx = n.position.x + (size?.width || NODE_WIDTH) / 2
    const cy = n.position.y + (size?.height || 60) / 2
    return cx >= x && cx <= x + w && cy >= y && cy <= y + h
  }).map((n) => n.id)
}

const round = (v) => Math.round(v * 10) / 10

export const FORMAT_VERSION = 2

export function toDoc(meta, nodes, edges, sizeOf = (n) => n.dimensions, subgraphs = []) {
  const doc = { format: 'oyster-workflow', version: FORMAT_VERSION, metadata: meta, nodes: [], links: [], groups: [],
    notes: [] }
  if (subgraphs.length) doc.subgraphs = clone(subgraphs)
  for (const n of nodes) {
    const position = [round(n.position.x), round(n.position.y)]
    if (n.type === 'oyster') {
      const editor = { position, collapsed: !!n.data.collapsed }
      if (n.data.title) editor.title = n.data.title
      if (n.data.color) editor.color = n.data.color
      if (n.data.widgets && Object.keys(n.data.widgets).length) editor.widgets = { ...n.data.widgets }
      const ref = { id: n.id, type: n.data.type, params: n.data.params, editor }
      if (n.data.device) ref.device = n.data.device
      if (n.data.mode === 'bypass') ref.mode = 'bypass'
      if (n.data.subgraph) ref.subgraph = n.data.subgraph
      doc.nodes.push(ref)
    } else if (n.type === 'note') {
      doc.notes.push({ id: n.id, text: n.data.text, position, size: n.data.size, color: n.data.color })
    } else if (n.type === 'group') {
      const rect = [...position, n.data.size[0], n.data.size[1]]
      doc.groups.push({ id: n.id, title: n.data.title, color: n.data.color, nodes: membersOf(rect, nodes, sizeOf), rect })
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

// Subgraphs: a selection becomes one node whose ports are the wires that crossed the selection's edge.
// Definitions live in the document's `subgraphs`; a node of type 'subgraph' names one. Pure functions here;
// the editor turns them into undoable commands.
import { handleName, inHandle, outHandle } from './doc.js'

export const SUBGRAPH = 'subgraph'
const DEPTH = 16

// The catalog entry of a subgraph node: its ports typed by the inner ports they stand for.
export function subgraphSpec(catalog, defs, id, depth = 0) {
  const def = defs.find((d) => d.id === id)
  if (!def || depth > DEPTH) return null
  const innerPort = (nodeId, port, side) => {
    const ref = def.nodes.find((n) => n.id === nodeId)
    const spec = ref && (ref.type === SUBGRAPH ? subgraphSpec(catalog, defs, ref.subgraph, depth + 1) : catalog.nodes[ref.type])
    return spec?.[side].find((p) => p.name === port)
  }
  const port = (name, inner) => ({ name, type: inner?.type || '?', any: !!inner?.any, optional: !!inner?.optional,
    description: inner ? `${inner.name} of the node inside` : 'port of a missing inner node' })
  return {
    type: SUBGRAPH, title: def.title || 'subgraph', category: 'subgraph', description: `${def.nodes.length} nodes inside`,
    params: [], bypass: {},
    inputs: def.inputs.map((p) => port(p.name, innerPort(p.to[0]?.node, p.to[0]?.port, 'inputs'))),
    outputs: def.outputs.map((p) => port(p.name, innerPort(p.node, p.port, 'outputs'))),
  }
}

const unique = (name, taken) => {
  let out = name
  for (let i = 2; taken.has(out); i++) out = `${name}_${i}`
  taken.add(out)
  return out
}

// What making a subgraph of `ids` does: the definition, and the edges to draw to the node that replaces them.
// `refs` are the chosen nodes in document form; `edges` every edge of the level.
export function cutSubgraph({ id, nodeId, refs, edges }) {
  const inside = new Set(refs.map((r) => r.id))
  const links = []
  const inputs = new Map()
  const outputs = new Map()
  const takenIn = new Set()
  const takenOut = new Set()
  const outer = []
  for (const e of edges) {
    const [from, to] = [inside.has(e.source), inside.has(e.target)]
    const link = { from_node: e.source, from_output: handleName(e.sourceHandle), to_node: e.target, to_input: handleName(e.targetHandle) }
    if (from && to) links.push(link)
    else if (to) {
      const key = `${e.source}.${e.sourceHandle}`
      if (!inputs.has(key)) {
        inputs.set(key, { name: unique(link.to_input, takenIn), to: [] })
        outer.push({ source: e.source, sourceHandle: e.sourceHandle, target: nodeId, targetHandle: inHandle(inputs.get(key).name) })
      }
      inputs.get(key).to.push({ node: link.to_node, port: link.to_input })
    } else if (from) {
      const key = `${e.source}.${e.sourceHandle}`
      if (!outputs.has(key)) outputs.set(key, { name: unique(link.from_output, takenOut), node: link.from_node, port: link.from_output })
      outer.push({ source: nodeId, sourceHandle: outHandle(outputs.get(key).name), target: e.target, targetHandle: e.targetHandle })
    }
  }
  const def = { id, title: 'subgraph', nodes: refs, links, inputs: [...inputs.values()], outputs: [...outputs.values()],
    groups: [], notes: [] }
  return { def, outer }
}

// A definition after its inside was edited: ports whose inner node is gone are dropped.
export function refit(def, levelDoc) {
  const ids = new Set(levelDoc.nodes.map((n) => n.id))
  return {
    ...def, nodes: levelDoc.nodes, links: levelDoc.links, groups: levelDoc.groups, notes: levelDoc.notes,
    inputs: def.inputs.map((p) => ({ ...p, to: p.to.filter((t) => ids.has(t.node)) })).filter((p) => p.to.length),
    outputs: def.outputs.filter((p) => ids.has(p.node)),
  }
}

// Auto-layout with ELK's layered algorithm (loaded on first use, so the editor opens without it):
// sources on the left, each wire running left to right, rows packed without overlaps.
const OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.spacing.nodeNode': '36',
  'elk.layered.spacing.nodeNodeBetweenLayers': '70',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.separateConnectedComponents': 'true',
}

let elk = null

// New top-left positions for `nodes` ({id, position, width, height}) linked by `edges` ({source, target}),
// keeping the group where it was: the laid-out block starts at the old block's top-left corner.
export async function layoutPositions(nodes, edges) {
  if (!elk) {
    const { default: ELK } = await import('elkjs/lib/elk.bundled.js')
    elk = new ELK()
  }
  const ids = new Set(nodes.map((n) => n.id))
  const graph = {
    id: 'root',
    layoutOptions: OPTIONS,
    children: nodes.map((n) => ({ id: n.id, width: n.width, height: n.height })),
    edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target))
      .map((e, i) => ({ id: `e${i}`, sources: [e.source], targets: [e.target] })),
  }
  const result = await elk.layout(graph)
  const x0 = Math.min(...nodes.map((n) => n.position.x))
  const y0 = Math.min(...nodes.map((n) => n.position.y))
  return new Map(result.children.map((c) => [c.id, { x: Math.round(x0 + c.x), y: Math.round(y0 + c.y) }]))
}

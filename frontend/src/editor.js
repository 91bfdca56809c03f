// The node editor: a Vue Flow canvas with typed sockets, palette, commands, clipboard and run status.
import '@vue-flow/core/dist/style.css'
import '@vue-flow/core/dist/theme-default.css'
import './style.css'

import { Background } from '@vue-flow/background'
import { ConnectionMode, VueFlow, useVueFlow } from '@vue-flow/core'
import { computed, markRaw, nextTick, onBeforeUnmount, onMounted, provide, reactive, ref, watch } from 'vue'
import { createClipboard } from './clipboard.js'
import { CanvasMinimap } from './minimap.js'
import { Model, NODE_WIDTH, defaultParams, freshId, fromDoc, handleName, inHandle, makeEdge, noteNode, groupNode, outHandle,
  toDoc } from './doc.js'
import { History, addElements, batch, moveNodes, removeElements, setData } from './history.js'
import { GroupNode, NoteNode, OysterNode } from './nodes.js'
import { DRAG_TYPE, Palette } from './palette.js'
import { QuickAdd } from './search.js'
import { SUBGRAPH, cutSubgraph, refit, subgraphSpec } from './subgraph.js'
import { createSync } from './sync.js'
import { ViewerPanel } from './viewer.js'
import { BatchPanel } from './batch.js'
import { SchedulesPanel } from './schedules.js'

const FAR_ZOOM = 0.45
// below this, nodes are drawn as plain blocks with their state on top (text would be under 3 px anyway)
const TINY_ZOOM = 0.22
const STATE_COLOURS = { queued: '#8a909c', running: '#f2c94c', cached: '#4fc3d7', done: '#4caf7d', error: '#e5534b',
  skipped: '#6d7380', cancelled: '#b085f5' }
const BYPASS_COLOUR = '#c77dff'
// above this many nodes a graph first renders in the cheap far-zoom look, then fits the view
const LARGE_GRAPH = 40
const SEED_MAX = 2 ** 31 - 1

export default {
  components: { VueFlow, CanvasMinimap, Background, Palette, QuickAdd, ViewerPanel, BatchPanel, SchedulesPanel },
  props: { session: String, apiBase: String, docId: String, aliases: Object },
  emits: ['run_request', 'save_request', 'pick_file', 'opened', 'changed', 'ready', 'resume'],
  setup(props, { emit }) {
    const flowId = `oyster-${props.session}`
    const flow = useVueFlow(flowId)
    const catalog = ref({ nodes: {}, colors: {}, compat: {}, categories: [] })
    let catalogLoaded = false
    const catalogReady = fetch(`${props.apiBase}/api/nodes`, { credentials: 'same-origin' })
      .then((r) => r.json()).then((c) => { catalog.value = c; catalogLoaded = true })
    const status = reactive({})
    const problems = reactive({})
    const meta = ref({ name: 'untitled' })
    const toast = ref(null)
    const hint = ref(null)
    const overlay = ref(null)
    const saved = ref('')
    const notice = ref(null)
    let cleanText = null
    const searchRef = ref(null)
    const root = ref(null)
    const zoom = computed(() => flow.viewport.value.zoom)
    const far = computed(() => zoom.value < FAR_ZOOM)
    const tiny = computed(() => zoom.value < TINY_ZOOM)
    const counts = ref({ nodes: 0, links: 0 })
    let loadStarted = 0
    let lastLoadMs = null
    let loads = 0  // graphs opened: the last one's drawing sets lastLoadMs

    const nodeTypes = { oyster: markRaw(OysterNode), note: markRaw(NoteNode), group: markRaw(GroupNode) }

    // ---------------------------------------------------------------- the document and the graph API of commands
    // Every command changes the model first and the canvas second; nothing is ever read back from the canvas.
    const model = new Model()
    const recount = () => { counts.value = { nodes: model.nodes.size, links: model.edges.size } }
    const api = {
      addNodes: (nodes) => { nodes.forEach((n) => model.addNode(n)); flow.addNodes(nodes); recount() },
      addEdges: (edges) => { edges.forEach((e) => model.addEdge(e)); flow.addEdges(edges); recount() },
      removeNodes: (ids) => { ids.forEach((id) => model.nodes.delete(id)); flow.removeNodes(ids, false); recount() },
      removeEdges: (ids) => { ids.forEach((id) => model.edges.delete(id)); flow.removeEdges(ids); recount() },
      setPosition: (id, p) => {
        const node = model.nodes.get(id)
        if (node) node.position = { x: p.x, y: p.y }
        flow.updateNode(id, { position: { x: p.x, y: p.y } })
      },
      setData: (id, path, value) => {
        model.setData(id, path, value)
        const node = flow.findNode(id)
        if (!node) return
        let target = node.data
        for (const key of path.slice(0, -1)) target = target[key] ??= {}
        target[path[path.length - 1]] = JSON.parse(JSON.stringify(value))
      },
    }
    const sizeOf = (n) => flow.findNode(n.id)?.dimensions
    // Subgraph definitions, and the subgraphs entered (the breadcrumb): each level keeps the document of the
    // level above it, which cannot change while it is not shown.
    const subgraphs = ref([])
    const levels = ref([])
    const levelDoc = () => toDoc(meta.value, model.nodeList, model.edgeList, sizeOf)
    const commitLevel = () => {
      const top = levels.value[levels.value.length - 1]
      if (!top) return
      subgraphs.value = subgraphs.value.map((d) => (d.id === top.subgraph ? refit(d, levelDoc()) : d))
    }
    const getDoc = () => {
      if (!levels.value.length) return toDoc(meta.value, model.nodeList, model.edgeList, sizeOf, subgraphs.value)
      commitLevel()
      const root = levels.value[0].parentDoc
      return { ...root, metadata: meta.value, ...(subgraphs.value.length ? { subgraphs: JSON.parse(JSON.stringify(subgraphs.value)) } : {}) }
    }
    const specOf = (data) => (data?.type === SUBGRAPH ? subgraphSpec(catalog.value, subgraphs.value, data.subgraph)
      : catalog.value.nodes[data?.type])
    // A wire out of a subgraph node takes the colour of the type its port carries.
    const paintSubgraphWires = (nodes, edges) => {
      const byId = new Map(nodes.map((n) => [n.id, n]))
      for (const e of edges) {
        const src = byId.get(e.source)
        if (src?.data?.type !== SUBGRAPH) continue
        const port = specOf(src.data)?.outputs.find((p) => p.name === handleName(e.sourceHandle))
        const color = (port && catalog.value.colors[port.type]) || '#9e9e9e'
        e.style = { ...(e.style || {}), stroke: color }
        e.data = { ...(e.data || {}), color }
      }
      return edges
    }
    const pathOf = (id) => [...levels.value.map((l) => l.node), id].join('/')
    const sync = createSync({ props, meta, problems, saved, getDoc })
    const historyVersion = ref(0)
    // Undo and redo go to the subgraph level a step was made in (entering or leaving subgraphs), then act there.
    const goToLevel = (path) => {
      const here = levels.value.map((l) => l.node)
      let common = 0
      while (common < here.length && common < path.length && here[common] === path[common]) common++
      if (common === here.length && common === path.length) return true
      if (common < here.length) leaveTo(common)
      for (const id of path.slice(common)) if (!enterSubgraph(id)) return false
      return true
    }
    const history = new History(() => { historyVersion.value++; sync.schedule() }, {
      where: () => levels.value.map((l) => l.node), levelName: () => levels.value.map((l) => l.title).join(' › '),
      goTo: (path) => goToLevel(path) })
    // The history panel: named steps, newest first; picking one undoes (or redoes) up to it.
    const historyOpen = ref(false)
    const panel = ref(null)  // 'batch' | 'schedules': the side panel shown
    const steps = computed(() => {
      void historyVersion.value
      const done = history.done.map((c, i) => ({ label: History.nameOf(c), at: i + 1, done: true })).reverse()
      const undone = history.undone.map((c, i) => ({ label: History.nameOf(c), at: history.done.length + history.undone.length - i,
        done: false }))
      return [...undone, ...done]
    })
    const goToStep = (at) => {
      while (history.done.length > at && history.canUndo) history.undo()
      while (history.done.length < at && history.canRedo) history.redo()
      showToast(at ? `Back to: ${History.nameOf(history.done[at - 1])}` : 'Back to the opened graph')
    }
    // Unsaved: the model differs from what was last loaded, saved or downloaded.
    const markSaved = () => { cleanText = JSON.stringify(getDoc()) }
    const dirty = () => cleanText !== null && JSON.stringify(getDoc()) !== cleanText
    const onBeforeUnload = (e) => {
      sync.flushNow()
      if (!dirty()) return undefined
      e.preventDefault()
      e.returnValue = 'This workflow has unsaved changes.'
      return e.returnValue
    }
    const onHide = () => { if (document.visibilityState === 'hidden') sync.flushNow() }
    // the server's notice (a reopened journal) keeps saying what the tab restored over it
    let restoreNote = null
    const showNotice = (text) => { notice.value = restoreNote ? `${text} · ${restoreNote}` : text }
    const restoredText = (kept) => `Restored the edits this tab kept from ${new Date(kept.at).toLocaleTimeString()} ` +
      `(${(kept.doc.nodes || []).length} nodes), which the server had not journaled`

    const showToast = (text, kind = 'info') => {
      toast.value = { text, kind }
      clearTimeout(showToast.timer)
      showToast.timer = setTimeout(() => { toast.value = null }, 4500)
    }

    // ---------------------------------------------------------------- params and node data
    const setParam = (id, name, value) => {
      const node = model.nodes.get(id)
      if (!node) return
      history.run(setData(api, id, ['params', name], node.data.params[name], value, `set ${name}`))
    }
    const setNodeData = (id, path, value, label) => {
      const node = model.nodes.get(id)
      if (!node) return
      let before = node.data
      for (const key of path) before = before?.[key]
      history.run(setData(api, id, path, before ?? null, value, label))
    }
    const seedMode = (id, name) => model.nodes.get(id)?.data.widgets?.[name] || 'fixed'
    const setSeedMode = (id, name, mode) => {
      const node = model.nodes.get(id)
      if (node) setNodeData(id, ['widgets'], { ...(node.data.widgets || {}), [name]: mode }, `seed ${mode}`)
    }

    // ---------------------------------------------------------------- adding nodes
    const takenIds = () => new Set(model.nodes.keys())
    const centre = () => {
      const rect = root.value?.querySelector('.vue-flow')?.getBoundingClientRect()
      if (!rect) return { x: 0, y: 0 }
      return flow.screenToFlowCoordinate({ x: rect.left + rect.width / 2 - 120, y: rect.top + rect.height / 3 })
    }
    const newNode = (type, position) => {
      const spec = catalog.value.nodes[type]
      if (!spec) return null
      return { id: freshId(type, takenIds()), type: 'oyster', ariaLabel: `${spec.title} node`, position, data: { type, params: defaultParams(spec),
        title: null, color: null, collapsed: false, device: null, widgets: {} } }
    }
    const addNode = (type, position) => {
      const node = newNode(type, position)
      if (!node) return null
      history.run(addElements(api, [node], [], `add ${catalog.value.nodes[type].title}`))
      return node.id
    }
    // Below whatever node already sits at p, so added nodes never hide each other.
    const freeSpot = (p) => {
      const spot = { ...p }
      for (let tries = 0; tries < 50; tries++) {
        const blocker = model.nodeList.find((n) => n.type !== 'group' && spot.x > n.position.x - 40 &&
          spot.x < n.position.x + (sizeOf(n)?.width || NODE_WIDTH) && spot.y > n.position.y - 40 &&
          spot.y < n.position.y + (sizeOf(n)?.height || 80))
        if (!blocker) break
        spot.y = blocker.position.y + (sizeOf(blocker)?.height || 80) + 24
      }
      return spot
    }
    const addNodeAtCenter = (type) => addNode(type, freeSpot(centre()))
    const addNote = () => {
      const id = freshId('note', takenIds())
      history.run(addElements(api, [noteNode({ id, text: '', position: [centre().x, centre().y] })], [], 'add note'))
    }
    const groupSelection = () => {
      const chosen = flow.getSelectedNodes.value.filter((n) => n.type !== 'group')
      if (!chosen.length) return showToast('select nodes to group first')
      const xs = chosen.flatMap((n) => [n.position.x, n.position.x + (n.dimensions?.width || 250)])
      const ys = chosen.flatMap((n) => [n.position.y, n.position.y + (n.dimensions?.height || 80)])
      const [x, y] = [Math.min(...xs) - 24, Math.min(...ys) - 48]
      const rect = [x, y, Math.max(...xs) + 24 - x, Math.max(...ys) + 24 - y]
      const group = groupNode({ id: freshId('group', takenIds()), title: 'group', rect })
      history.run(addElements(api, [group], [], 'group'))
    }

    // ---------------------------------------------------------------- connections
    const portOf = (nodeId, handle, kind) => {
      const node = model.nodes.get(nodeId)
      const spec = node && specOf(node.data)
      return spec?.[kind].find((p) => p.name === handleName(handle))
    }
    const reaches = (from, to) => {
      const seen = new Set()
      const stack = [from]
      const out = {}
      for (const e of model.edges.values()) (out[e.source] ||= []).push(e.target)
      while (stack.length) {
        const n = stack.pop()
        if (n === to) return true
        if (seen.has(n)) continue
        seen.add(n)
        stack.push(...(out[n] || []))
      }
      return false
    }
    const connectionProblem = (c) => {
      const source = portOf(c.source, c.sourceHandle, 'outputs')
      const target = portOf(c.target, c.targetHandle, 'inputs')
      if (!source || !target) return 'connect an output (right) to an input (left)'
      if (c.source === c.target) return 'a node cannot feed its own input'
      if (!target.any) {
        const reason = catalog.value.compat[source.type]?.[target.type]
        const known = catalog.value.compat[source.type] && target.type in catalog.value.compat[source.type]
        if (reason || !known) return `input '${target.name}' ${reason || `expects ${target.type}, got ${source.type}`}`
      }
      if (reaches(c.target, c.source)) return 'this link would form a cycle'
      return null
    }
    const isValidConnection = (c) => {
      // edges the model already holds (loaded, undone, pasted) are drawn as they are, whatever their types
      if (model.edges.has(`${c.source}.${handleName(c.sourceHandle)}->${c.target}.${handleName(c.targetHandle)}`)) return true
      const reason = connectionProblem(c)
      hint.value = reason ? { text: reason, at: Date.now() } : null
      return !reason
    }
    const edgeFor = (c, sourceType) => makeEdge(catalog.value, { from_node: c.source, from_output: handleName(c.sourceHandle),
      to_node: c.target, to_input: handleName(c.targetHandle) }, sourceType ?? model.nodes.get(c.source)?.data.type)
    // A link into an input replaces the one it had.
    const connectCommand = (c, sourceType) => {
      const old = model.edgeList.filter((e) => e.target === c.target && e.targetHandle === c.targetHandle)
      return batch([removeElements(api, [], old.map(plainEdge)), addElements(api, [], [edgeFor(c, sourceType)])], 'connect')
    }
    let connectedDuringDrag = false
    const connect = (c) => {
      connectedDuringDrag = true
      history.run(connectCommand(c))
    }
    // While a wire is dragged, the sockets it fits are lit and the others dimmed.
    const connecting = ref(null)
    const fits = (sourceType, input) => !!input && (input.any || catalog.value.compat[sourceType]?.[input.type] === null)
    flow.onConnect(connect)
    flow.onConnectStart(({ nodeId, handleId, handleType }) => {
      hint.value = null
      connectedDuringDrag = false
      const kind = handleType === 'source' ? 'outputs' : 'inputs'
      const port = portOf(nodeId, handleId, kind)
      connecting.value = port ? { nodeId, handleId, handleType, type: port.type, port } : null
    })
    flow.onConnectEnd((event) => {
      const wire = connecting.value
      connecting.value = null
      const onPane = event?.target?.closest && !event.target.closest('.vue-flow__node') && event.target.closest('.vue-flow')
      if (wire && !connectedDuringDrag && onPane && event.clientX !== undefined) {
        hint.value = null
        return openQuickAdd(event.clientX, event.clientY, wire)
      }
      const h = hint.value
      if (h && flow.connectionStatus?.value !== 'valid' && Date.now() - h.at < 1500) showToast(`Link refused: ${h.text}`, 'error')
      hint.value = null
    })

    // ---------------------------------------------------------------- quick add at the cursor
    const quick = ref(null)
    const compatibleWith = (wire) => (spec) => (wire.handleType === 'source'
      ? spec.inputs.some((p) => fits(wire.type, p))
      : spec.outputs.some((p) => wire.port.any || catalog.value.compat[p.type]?.[wire.type] === null))
    const openQuickAdd = (clientX, clientY, wire = null) => {
      const rect = root.value.querySelector('.oy-canvas').getBoundingClientRect()
      const at = { x: Math.min(clientX - rect.left, rect.width - 330), y: Math.min(clientY - rect.top, rect.height - 360) }
      quick.value = { at, flowAt: flow.screenToFlowCoordinate({ x: clientX, y: clientY }), wire,
        filter: wire ? compatibleWith(wire) : null,
        title: wire ? `${wire.handleType === 'source' ? 'Feed' : 'Fill'} ${wire.port.name} (${wire.type}) into…` : null }
    }
    const openQuickAddAtPointer = () => openQuickAdd(pointer.x, pointer.y)
    const pointer = { x: 0, y: 0 }
    const onPointerMove = (e) => { pointer.x = e.clientX; pointer.y = e.clientY }
    const onCanvasDblClick = (e) => {
      if (e.target.classList?.contains('vue-flow__pane')) openQuickAdd(e.clientX, e.clientY)
    }
    const quickPick = (type) => {
      const q = quick.value
      quick.value = null
      const spec = catalog.value.nodes[type]
      if (!q || !spec) return
      const wire = q.wire
      const at = wire && wire.handleType === 'target' ? { x: q.flowAt.x - NODE_WIDTH - 20, y: q.flowAt.y - 30 }
        : { x: q.flowAt.x + (wire ? 20 : 0), y: q.flowAt.y - (wire ? 30 : 0) }
      const node = newNode(type, wire ? at : freeSpot(at))
      const cmds = [addElements(api, [node], [], `add ${spec.title}`)]
      if (wire?.handleType === 'source') {
        const input = spec.inputs.find((p) => fits(wire.type, p))
        cmds.push(connectCommand({ source: wire.nodeId, sourceHandle: wire.handleId, target: node.id,
          targetHandle: inHandle(input.name) }))
      } else if (wire) {
        const output = spec.outputs.find((p) => wire.port.any || catalog.value.compat[p.type]?.[wire.type] === null)
        cmds.push(connectCommand({ source: node.id, sourceHandle: outHandle(output.name), target: wire.nodeId,
          targetHandle: wire.handleId }, type))
      }
      history.run(batch(cmds, wire ? `add ${spec.title} and connect` : `add ${spec.title}`))
      flow.removeSelectedElements()
      nextTick(() => { const n = flow.findNode(node.id); if (n) flow.addSelectedNodes([n]) })
    }

    // ---------------------------------------------------------------- a node dropped on a wire goes into it
    const wireUnder = (points, skip) => {
      for (const el of root.value.querySelectorAll('.vue-flow__edge')) {
        const id = el.dataset.id
        const edge = model.edges.get(id)
        if (!edge || skip.has(edge.source) || skip.has(edge.target)) continue
        const path = el.querySelector('.vue-flow__edge-interaction') || el.querySelector('path')
        if (path && points.some((p) => path.isPointInStroke(new DOMPoint(p.x, p.y)))) return edge
      }
      return null
    }
    const insertCommand = (node, edge) => {
      const spec = specOf(node.data)
      const sourceType = portOf(edge.source, edge.sourceHandle, 'outputs')?.type
      const targetPort = portOf(edge.target, edge.targetHandle, 'inputs')
      if (!spec || !sourceType || !targetPort) return null
      const input = spec.inputs.find((p) => fits(sourceType, p))
      const output = spec.outputs.find((p) => fits(p.type, targetPort))
      if (!input || !output) return null
      const first = edgeFor({ source: edge.source, sourceHandle: edge.sourceHandle, target: node.id, targetHandle: inHandle(input.name) })
      const second = edgeFor({ source: node.id, sourceHandle: outHandle(output.name), target: edge.target,
        targetHandle: edge.targetHandle }, node.data.type)
      return batch([removeElements(api, [], [plainEdge(edge)]), addElements(api, [], [first, second])], 'insert on wire')
    }
    const tryInsert = (event, dropped, move) => {
      if (dropped.length !== 1 || dropped[0].type !== 'oyster') return false
      const node = model.nodes.get(dropped[0].id)
      if (!node || model.edgeList.some((e) => e.source === node.id || e.target === node.id)) return false
      const size = sizeOf(node) || { width: NODE_WIDTH, height: 80 }
      const points = [{ x: node.position.x + size.width / 2, y: node.position.y + size.height / 2 }]
      if (event?.clientX !== undefined) points.push(flow.screenToFlowCoordinate({ x: event.clientX, y: event.clientY }))
      const edge = wireUnder(points, new Set([node.id]))
      const command = edge && insertCommand(node, edge)
      if (!command) return false
      command.apply()
      history.push(batch(move ? [move, command] : [command], 'insert on wire'))
      showToast(`Inserted ${specOf(node.data).title} into the wire`)
      return true
    }

    // ---------------------------------------------------------------- moving (groups carry their nodes)
    let dragStart = null
    flow.onNodeDragStart(({ nodes }) => {
      const moving = new Map(nodes.map((n) => [n.id, { ...n.position }]))
      const members = new Set()
      for (const g of nodes.filter((n) => n.type === 'group')) {
        const rect = [g.position.x, g.position.y, ...g.data.size]
        for (const id of groupMembers(rect)) if (!moving.has(id)) members.add(id)
      }
      const memberStart = new Map([...members].map((id) => [id, { ...model.nodes.get(id).position }]))
      dragStart = { moving, memberStart, groups: nodes.filter((n) => n.type === 'group').map((g) => g.id) }
    })
    flow.onNodeDrag(({ nodes }) => {
      if (!dragStart || !dragStart.groups.length) return
      const g = nodes.find((n) => n.id === dragStart.groups[0]) || flow.findNode(dragStart.groups[0])
      const from = dragStart.moving.get(g.id)
      const [dx, dy] = [g.position.x - from.x, g.position.y - from.y]
      for (const [id, p] of dragStart.memberStart) api.setPosition(id, { x: p.x + dx, y: p.y + dy })
    })
    flow.onNodeDragStop(({ event, nodes }) => {
      if (!dragStart) return
      const all = new Map([...dragStart.moving, ...dragStart.memberStart])
      const moves = [...all].map(([id, from]) => ({ id, from, to: { ...flow.findNode(id).position } }))
        .filter((m) => m.from.x !== m.to.x || m.from.y !== m.to.y)
      moves.forEach((m) => api.setPosition(m.id, m.to))
      const move = moves.length ? moveNodes(api, moves) : null
      if (!tryInsert(event, nodes || [], move) && move) history.push(move)
      dragStart = null
    })
    const groupMembers = (rect) => {
      const [x, y, w, h] = rect
      return model.nodeList.filter((n) => n.type !== 'group' && n.position.x >= x && n.position.y >= y &&
        n.position.x + (sizeOf(n)?.width || 0) <= x + w && n.position.y + (sizeOf(n)?.height || 0) <= y + h)
        .map((n) => n.id)
    }

    // ---------------------------------------------------------------- delete, clipboard, keyboard
    const plainNode = (n) => {
      const m = model.nodes.get(n.id) || n
      return { id: m.id, type: m.type, ariaLabel: m.ariaLabel, position: { ...m.position }, zIndex: m.zIndex, data: JSON.parse(JSON.stringify(m.data)) }
    }
    const plainEdge = (e) => ({ id: e.id, source: e.source, sourceHandle: e.sourceHandle, target: e.target,
      targetHandle: e.targetHandle, style: e.style, data: e.data })
    const deleteSelection = () => {
      const nodes = flow.getSelectedNodes.value
      const ids = new Set(nodes.map((n) => n.id))
      const selected = new Set(flow.getSelectedEdges.value.map((e) => e.id))
      const edges = model.edgeList.filter((e) => selected.has(e.id) || ids.has(e.source) || ids.has(e.target))
      if (!nodes.length && !edges.length) return
      history.run(removeElements(api, nodes.map(plainNode), edges.map(plainEdge), 'delete'))
    }
    const clipboard = createClipboard({ flow, model, plainNode, plainEdge, takenIds, freshId,
      paste: (nodes, edges) => {
        flow.removeSelectedElements()
        history.run(addElements(api, nodes.map((n) => ({ ...n, selected: true })), edges, 'paste'))
      } })
    const undo = () => { const l = history.undo(); if (l) showToast(`Undo ${l}`) }
    const redo = () => { const l = history.redo(); if (l) showToast(`Redo ${l}`) }
    const fit = () => flow.fitView({ padding: 0.15, duration: 200, maxZoom: 1 })
    const selectAll = () => flow.addSelectedNodes(flow.nodes.value)

    // Lay out the selection (two or more nodes) or the whole graph, as one undoable step.
    const autoLayout = async () => {
      const chosen = flow.getSelectedNodes.value.filter((n) => n.type === 'oyster')
      const ids = new Set((chosen.length >= 2 ? chosen : model.nodeList.filter((n) => n.type === 'oyster')).map((n) => n.id))
      if (ids.size < 2) return
      const nodes = model.nodeList.filter((n) => ids.has(n.id)).map((n) => {
        const size = sizeOf(n) || { width: NODE_WIDTH, height: 120 }
        return { id: n.id, position: n.position, width: size.width, height: size.height }
      })
      const { layoutPositions } = await import('./layout.js')
      const placed = await layoutPositions(nodes, model.edgeList)
      const moves = nodes.map((n) => ({ id: n.id, from: { ...n.position }, to: placed.get(n.id) })).filter((m) => m.to)
      history.run(moveNodes(api, moves, chosen.length >= 2 ? 'lay out the selection' : 'lay out the graph'))
      if (chosen.length < 2) nextTick(() => fit())
    }

    // ---------------------------------------------------------------- bypass (Ctrl+B)
    // A bypassed node does not run: each output its type declares a pass-through for carries that input.
    const toggleBypass = () => {
      const chosen = flow.getSelectedNodes.value.map((n) => model.nodes.get(n.id))
        .filter((n) => n && n.type === 'oyster' && n.data.type !== SUBGRAPH)
      if (!chosen.length) return showToast('select the nodes to bypass first')
      const next = chosen.every((n) => n.data.mode === 'bypass') ? 'normal' : 'bypass'
      history.run(batch(chosen.map((n) => setData(api, n.id, ['mode'], n.data.mode || 'normal', next, 'bypass')),
        next === 'bypass' ? `bypass ${chosen.length} node${chosen.length > 1 ? 's' : ''}` : 'end bypass'))
      const lacking = chosen.filter((n) => next === 'bypass' && !Object.keys(specOf(n.data)?.bypass || {}).length)
      showToast(lacking.length ? `${lacking.length} of them pass nothing through: their outputs must stay unconnected`
        : next === 'bypass' ? `Bypassed ${chosen.length} node${chosen.length > 1 ? 's' : ''}` : 'Bypass off')
    }

    // ---------------------------------------------------------------- subgraphs (Ctrl+Shift+G, breadcrumb)
    const definitionCommand = (def, add) => ({
      label: 'subgraph',
      apply: () => { subgraphs.value = add ? [...subgraphs.value, def] : subgraphs.value.filter((d) => d.id !== def.id) },
      revert: () => { subgraphs.value = add ? subgraphs.value.filter((d) => d.id !== def.id) : [...subgraphs.value, def] },
    })
    const freshSubgraphId = () => {
      const taken = new Set(subgraphs.value.map((d) => d.id))
      let i = 1
      while (taken.has(`sg${i}`)) i++
      return `sg${i}`
    }
    const makeSubgraph = () => {
      const chosen = flow.getSelectedNodes.value.map((n) => model.nodes.get(n.id)).filter((n) => n && n.type === 'oyster')
      if (!chosen.length) return showToast('select the nodes to make a subgraph of first')
      const ids = new Set(chosen.map((n) => n.id))
      const touching = model.edgeList.filter((e) => ids.has(e.source) || ids.has(e.target))
      const refs = toDoc(meta.value, chosen, [], sizeOf).nodes
      const nodeId = freshId('subgraph', takenIds())
      const { def, outer } = cutSubgraph({ id: freshSubgraphId(), nodeId, refs, edges: touching })
      const xs = chosen.map((n) => n.position.x)
      const ys = chosen.map((n) => n.position.y)
      const position = { x: xs.reduce((a, b) => a + b, 0) / xs.length, y: ys.reduce((a, b) => a + b, 0) / ys.length }
      const node = { id: nodeId, type: 'oyster', ariaLabel: 'subgraph node', position, data: { type: SUBGRAPH,
        subgraph: def.id, params: {}, title: null, color: null, collapsed: false, device: null, widgets: {}, mode: 'normal' } }
      const sourceType = (e) => (e.source === nodeId ? SUBGRAPH : model.nodes.get(e.source)?.data.type)
      const edges = outer.map((c) => makeEdge(catalog.value, { from_node: c.source, from_output: handleName(c.sourceHandle),
        to_node: c.target, to_input: handleName(c.targetHandle) }, sourceType(c)))
      const make = batch([removeElements(api, chosen.map(plainNode), touching.map(plainEdge)), definitionCommand(def, true)],
        'make subgraph')
      make.apply()
      paintSubgraphWires([node], edges)
      const add = addElements(api, [node], edges)
      add.apply()
      history.push(batch([make, add], 'make subgraph'))
      showToast(`Made a subgraph of ${chosen.length} nodes: ${def.inputs.length} inputs, ${def.outputs.length} outputs`)
    }
    const showLevel = (doc, viewport = null) => {
      const { nodes, edges } = fromDoc(catalog.value, doc)
      paintSubgraphWires(nodes, edges)
      model.reset(nodes, edges, meta.value)
      flow.setNodes(nodes)
      flow.setEdges(edges)
      historyVersion.value++
      recount()
      // fitted once the nodes of the level are measured
      setTimeout(() => (viewport ? flow.setViewport(viewport) : flow.fitView({ padding: 0.2, maxZoom: 1 })), 80)
    }
    const enterSubgraph = (nodeId) => {
      const node = model.nodes.get(nodeId)
      const def = node && subgraphs.value.find((d) => d.id === node.data.subgraph)
      if (!def) return false
      commitLevel()
      const parentDoc = levelDoc()
      levels.value = [...levels.value, { node: nodeId, subgraph: def.id, title: node.data.title || def.title,
        parentDoc, viewport: { ...flow.viewport.value } }]
      showLevel({ nodes: def.nodes, links: def.links, groups: def.groups || [], notes: def.notes || [] })
      return true
    }
    // Back up to `depth` levels (0: the workflow itself).
    const leaveTo = (depth) => {
      if (depth >= levels.value.length) return
      commitLevel()
      const target = levels.value[depth]
      levels.value = levels.value.slice(0, depth)
      showLevel(target.parentDoc, target.viewport)
      sync.schedule()
    }
    const renameSubgraph = (title) => {
      const top = levels.value[levels.value.length - 1]
      if (!top) return
      subgraphs.value = subgraphs.value.map((d) => (d.id === top.subgraph ? { ...d, title } : d))
      levels.value = levels.value.map((l, i) => (i === levels.value.length - 1 ? { ...l, title } : l))
      sync.schedule()
    }

    // ---------------------------------------------------------------- viewer (Ctrl+Shift+click)
    const viewer = ref(null)
    const onCanvasClickCapture = (e) => {
      if (!(e.ctrlKey || e.metaKey) || !e.shiftKey) return
      const el = e.target.closest?.('.vue-flow__node')
      if (!el || !model.nodes.get(el.dataset.id) || model.nodes.get(el.dataset.id).type !== 'oyster') return
      e.preventDefault()
      e.stopPropagation()
      const handle = e.target.closest('.vue-flow__handle.source, .oy-port-out')
      const output = handle ? (handle.dataset.port || handle.querySelector('[data-port]')?.dataset.port || null) : null
      viewer.value = { node: el.dataset.id, output }
    }
    const downstreamOf = (id) => {
      const out = []
      const seen = new Set([id])
      const queue = [id]
      while (queue.length) {
        const n = queue.shift()
        for (const e of model.edges.values()) {
          if (e.source === n && !seen.has(e.target)) { seen.add(e.target); out.push(e.target); queue.push(e.target) }
        }
      }
      return out
    }
    const statusOf = (id) => {
      const node = model.nodes.get(id)
      const own = status[pathOf(id)]
      if (own || node?.data.type !== SUBGRAPH) return own || null
      const prefix = `${pathOf(id)}/`
      const inner = Object.entries(status).filter(([k]) => k.startsWith(prefix)).map(([, v]) => v)
      if (!inner.length) return null
      const pick = ['error', 'running', 'queued', 'cancelled', 'skipped'].find((s) => inner.some((v) => v.status === s))
      return { status: pick || (inner.every((v) => v.status === 'cached') ? 'cached' : 'done') }
    }
    const problemsOf = (id) => {
      const path = pathOf(id)
      const own = problems[path] || []
      if (model.nodes.get(id)?.data.type !== SUBGRAPH) return own
      const prefix = `${path}/`
      const inner = Object.entries(problems).filter(([k]) => k.startsWith(prefix))
        .flatMap(([k, list]) => list.map((p) => ({ ...p, field: `${k.slice(prefix.length).split('/').join(' › ')} ${p.field || ''}`.trim() })))
      return [...own, ...inner]
    }

    const KEYS = {
      'ctrl+z': undo, 'ctrl+shift+z': redo, 'ctrl+y': redo, 'ctrl+c': () => clipboard.copy(),
      'ctrl+x': () => { clipboard.copy(); deleteSelection() }, 'ctrl+v': () => clipboard.pasteSoon(),
      'ctrl+d': () => { clipboard.copy(); clipboard.pasteSoon(0) }, 'ctrl+a': selectAll, 'ctrl+g': groupSelection,
      'ctrl+b': toggleBypass, 'ctrl+shift+g': makeSubgraph,
      delete: deleteSelection, backspace: deleteSelection, f: fit, n: addNote, '/': () => searchRef.value?.focus(),
      'shift+a': openQuickAddAtPointer, l: autoLayout,
      'ctrl+enter': () => emit('run_request'), 'ctrl+s': () => emit('save_request'),
      escape: () => { if (sheet.value) sheet.value = false; else if (quick.value) quick.value = null; else flow.removeSelectedElements() },
      '?': () => { sheet.value = !sheet.value }, 'shift+?': () => { sheet.value = !sheet.value },
    }
    // Keys that act on the focused node, taken only while focus is on the canvas (the page's own Tab order
    // through the header stays as it is).
    const CANVAS_KEYS = {
      tab: () => focusStep(1), 'shift+tab': () => focusStep(-1), enter: () => openParams(),
      arrowleft: () => nudge(-10, 0), arrowright: () => nudge(10, 0), arrowup: () => nudge(0, -10), arrowdown: () => nudge(0, 10),
      'shift+arrowleft': () => nudge(-50, 0), 'shift+arrowright': () => nudge(50, 0), 'shift+arrowup': () => nudge(0, -50),
      'shift+arrowdown': () => nudge(0, 50),
    }
    const onCanvas = () => {
      const active = document.activeElement
      const canvas = root.value.querySelector('.oy-canvas')
      return !active || !canvas || canvas.contains(active) || active.contains(canvas)
    }
    const onKey = (e) => {
      if (!root.value || !root.value.isConnected) return
      const tag = (e.target.tagName || '').toLowerCase()
      if (['input', 'textarea', 'select'].includes(tag) || e.target.isContentEditable) {
        if (e.key === 'Escape' && e.target.closest?.('.vue-flow__node')) focusNodeElement(e.target.closest('.vue-flow__node').dataset.id)
        return
      }
      const combo = `${e.ctrlKey || e.metaKey ? 'ctrl+' : ''}${e.shiftKey ? 'shift+' : ''}${e.key.toLowerCase()}`
      const action = KEYS[combo] || (onCanvas() && !(e.target.tagName === 'BUTTON' && e.key === 'Enter') && CANVAS_KEYS[combo])
      if (action) {
        e.preventDefault()
        action()
      }
    }

    // ---------------------------------------------------------------- keyboard: focus between nodes
    const sheet = ref(false)
    const focusedId = () => document.activeElement?.closest?.('.vue-flow__node')?.dataset.id
      || flow.getSelectedNodes.value[0]?.id
    const focusNodeElement = (id) => {
      const el = root.value.querySelector(`.vue-flow__node[data-id="${CSS.escape(id)}"]`)
      el?.focus({ preventScroll: true })
      return !!el
    }
    const inView = (node) => {
      const rect = root.value.querySelector('.vue-flow').getBoundingClientRect()
      const vp = flow.viewport.value
      const x = node.position.x * vp.zoom + vp.x
      const y = node.position.y * vp.zoom + vp.y
      return x > 0 && y > 0 && x < rect.width - 100 && y < rect.height - 60
    }
    const focusStep = (step) => {
      const order = model.nodeList.filter((n) => n.type !== 'group')
      if (!order.length) return
      const at = order.findIndex((n) => n.id === focusedId())
      const next = order[at < 0 ? (step > 0 ? 0 : order.length - 1) : (at + step + order.length) % order.length]
      const node = flow.findNode(next.id)
      flow.removeSelectedElements()
      if (node) flow.addSelectedNodes([node])
      if (!inView(next)) {
        const size = sizeOf(next) || { width: NODE_WIDTH, height: 100 }
        flow.setCenter(next.position.x + size.width / 2, next.position.y + size.height / 2, { zoom: zoom.value })
      }
      nextTick(() => focusNodeElement(next.id))
    }
    // Enter: the focused node's first parameter takes focus (zoomed in far enough to show it).
    const openParams = async () => {
      const id = focusedId()
      const node = id && model.nodes.get(id)
      if (!node || node.type !== 'oyster') return
      if (far.value || node.data.collapsed) {
        if (node.data.collapsed) setNodeData(id, ['collapsed'], false, 'expand')
        focusNode(id)
        await new Promise((res) => setTimeout(res, 320))
      }
      await nextTick()
      const field = root.value.querySelector(`[data-node-id="${CSS.escape(id)}"] .oy-param :is(input, select, textarea)`)
      field?.focus({ preventScroll: true })
    }
    const nudge = (dx, dy) => {
      const moves = flow.getSelectedNodes.value.map((n) => model.nodes.get(n.id)).filter(Boolean)
        .map((n) => ({ id: n.id, from: { ...n.position }, to: { x: n.position.x + dx, y: n.position.y + dy } }))
      if (moves.length) history.run(moveNodes(api, moves, 'nudge'))
    }
    const SHORTCUTS = [
      ['Double-click, Shift+A', 'search and add a node at the cursor'], ['/', 'search the palette'],
      ['Drag a wire to empty canvas', 'add a node that fits and connect it'], ['Drop a node on a wire', 'insert it'],
      ['Tab, Shift+Tab', 'focus the next or previous node'], ['Enter', "edit the focused node's parameters"],
      ['Esc', 'back to the node, close, clear the selection'], ['Arrows (+Shift)', 'move the selection'],
      ['L', 'lay out the selection or the graph'], ['F', 'fit the view'], ['N', 'add a note'],
      ['Ctrl+G', 'group the selection'], ['Ctrl+B', 'bypass the selection (pass its input through)'],
      ['Ctrl+Shift+G', 'make a subgraph of the selection'], ['Ctrl+Shift+click', 'show a node or output in the viewer'], ['Ctrl+C, Ctrl+X, Ctrl+V, Ctrl+D', 'copy, cut, paste, duplicate'],
      ['Ctrl+A', 'select all'], ['Del', 'delete the selection'], ['Ctrl+Z, Ctrl+Shift+Z', 'undo, redo'],
      ['Ctrl+Enter', 'run'], ['Ctrl+S', 'save'], ['?', 'this sheet'],
    ]
    const onPaste = (e) => clipboard.fromEvent(e)
    const onCopy = (e) => clipboard.toEvent(e)
    onMounted(() => {
      window.addEventListener('keydown', onKey)
      window.addEventListener('beforeunload', onBeforeUnload)
      document.addEventListener('visibilitychange', onHide)
      document.addEventListener('paste', onPaste)
      document.addEventListener('copy', onCopy)
    })
    onBeforeUnmount(() => {
      window.removeEventListener('keydown', onKey)
      window.removeEventListener('beforeunload', onBeforeUnload)
      document.removeEventListener('visibilitychange', onHide)
      document.removeEventListener('paste', onPaste)
      document.removeEventListener('copy', onCopy)
      sync.stop()
    })

    // ---------------------------------------------------------------- drag and drop (nodes, files)
    const onDragOver = (e) => {
      e.preventDefault()
      e.dataTransfer.dropEffect = 'copy'
    }
    const onDrop = async (e) => {
      e.preventDefault()
      const type = e.dataTransfer.getData(DRAG_TYPE)
      if (type) return addNode(type, flow.screenToFlowCoordinate({ x: e.clientX, y: e.clientY }))
      const file = e.dataTransfer.files?.[0]
      if (file) openFile(file)
    }
    const openFile = async (file) => {
      const result = await sync.upload(file)
      if (result.error) return showToast(result.error, 'error')
      load(result)
      emit('opened', { name: file.name })
    }

    // ---------------------------------------------------------------- loading and status
    // The tab remembers which journaled graph it shows: a reload, a crashed tab or a restarted server
    // reopens that graph instead of the default one.
    const JOURNAL_KEY = 'oyster-journal'
    const drawable = (doc) => {
      try {
        fromDoc(catalog.value, doc)
        return true
      } catch {
        return false
      }
    }
    // the journal this page asked to reopen: edits kept for it still count if the server no longer has it
    let resumedFrom = null
    const load = async (payload) => {
      loadStarted = performance.now()
      performance.mark('oy-load')
      await catalogReady
      if (payload.rev <= sync.rev) return
      // edits this tab kept that the server never acknowledged (its session was dropped, it was down) win over
      // an older journal: they are shown, said so, and journaled again
      let kept = sync.loaded(payload, resumedFrom)
      resumedFrom = null
      if (kept && !drawable(kept.doc)) {
        sync.forget()  // a copy this editor cannot draw must not stop every reload: the journal is shown
        kept = null
      }
      if (sync.docId) sessionStorage.setItem(JOURNAL_KEY, sync.docId)  // also when the asked-for one was gone
      restoreNote = kept ? restoredText(kept) : null
      if (kept) {
        payload = { ...payload, doc: kept.doc }
        notice.value = restoreNote
      }
      meta.value = payload.doc.metadata || { name: 'untitled' }
      for (const k of Object.keys(status)) delete status[k]
      for (const k of Object.keys(problems)) delete problems[k]
      levels.value = []
      subgraphs.value = JSON.parse(JSON.stringify(payload.doc.subgraphs || []))
      viewer.value = null
      const { nodes, edges } = fromDoc(catalog.value, payload.doc)
      paintSubgraphWires(nodes, edges)
      model.reset(nodes, edges, meta.value)
      if (nodes.length > LARGE_GRAPH) flow.setViewport({ x: 0, y: 0, zoom: TINY_ZOOM / 2 })  // the cheapest first draw
      performance.mark('oy-load-model')
      const mine = ++loads
      lastLoadMs = null
      history.clear()
      historyVersion.value++
      recount()
      markSaved()
      sync.applyProblems(payload.problems || [])
      flow.setNodes(nodes)
      flow.setEdges(edges)
      performance.mark('oy-load-set')
      nextTick(async () => {
        performance.mark('oy-load-mounted')
        await flow.fitView({ padding: 0.15, maxZoom: 1 })
        performance.mark('oy-load-fitted')
        requestAnimationFrame(() => {
          if (mine !== loads) return
          lastLoadMs = performance.now() - loadStarted
          performance.mark('oy-load-drawn')
        })
      })
    }
    const reload = async () => {
      performance.mark('oy-reload')
      const payload = await sync.fetchDoc()
      performance.mark('oy-doc-fetched')
      return load(payload)
    }
    // A node that comes back cached made the same outputs as before: it keeps the previews it shows.
    const setStatus = (updates, reset = false) => {
      if (reset) for (const k of Object.keys(status)) delete status[k]
      for (const [id, s] of Object.entries(updates)) {
        const old = status[id] || {}
        const next = { ...old, ...s }
        if (s.status === 'cached' && !s.previews?.length && old.previews?.length) next.previews = old.previews
        status[id] = next
      }
    }
    const setProblems = (list) => sync.applyProblems(list)
    const setParamValue = (id, name, value) => setParam(id, name, value)
    const flush = () => sync.flush()
    const focusNode = async (id) => {
      // a node inside a subgraph ('g1/n3'): enter the subgraphs on its path first
      if (!flow.findNode(id) && id.includes('/')) {
        const parts = id.split('/')
        if (levels.value.length) leaveTo(0)
        for (const step of parts.slice(0, -1)) {
          await nextTick()
          if (!enterSubgraph(step)) return false
        }
        await nextTick()
        await new Promise((res) => requestAnimationFrame(res))
        id = parts[parts.length - 1]
      }
      const node = flow.findNode(id)
      if (!node) return false
      flow.removeSelectedElements()
      flow.addSelectedNodes([node])
      const w = node.dimensions?.width || 250
      const h = node.dimensions?.height || 100
      flow.setCenter(node.position.x + w / 2, node.position.y + h / 2, { zoom: Math.max(zoom.value, 1), duration: 250 })
      return true
    }
    // Seeds whose widget says `mode` get the value `next(old, lo, hi)`, as one undoable step.
    const advanceSeeds = (mode, next) => {
      const seeds = []
      for (const node of model.nodeList) {
        const specs = catalog.value.nodes[node.data?.type]?.params || []
        for (const [name, m] of Object.entries(node.data?.widgets || {})) {
          const spec = specs.find((p) => p.name === name)
          if (m !== mode || !spec) continue
          const [lo, hi] = [Math.max(0, spec.min ?? 0), Math.min(SEED_MAX, spec.max ?? SEED_MAX)]
          const before = node.data.params[name]
          seeds.push(setData(api, node.id, ['params', name], before, next(Number(before) || 0, lo, hi), `${mode} seed`))
        }
      }
      if (seeds.length) history.run(batch(seeds, `${mode} seeds`))
    }
    const prepareRun = async () => {
      advanceSeeds('random', (_, lo, hi) => lo + Math.floor(Math.random() * (hi - lo + 1)))
      await sync.flush()
      return sync.rev
    }
    const runSubmitted = () => advanceSeeds('increment', (seed, lo, hi) => (seed + 1 > hi ? lo : seed + 1))

    const setMeta = (next) => {
      meta.value = { ...meta.value, ...next }
      sync.schedule()
    }
    // How many nodes the current view shows (all of them are in the model and on the canvas).
    const onScreen = () => {
      const rect = root.value?.querySelector('.vue-flow')?.getBoundingClientRect()
      if (!rect) return 0
      const vp = flow.viewport.value
      let count = 0
      for (const n of model.nodes.values()) {
        const size = sizeOf(n) || { width: NODE_WIDTH, height: 80 }
        const x = n.position.x * vp.zoom + vp.x
        const y = n.position.y * vp.zoom + vp.y
        if (x + size.width * vp.zoom > 0 && y + size.height * vp.zoom > 0 && x < rect.width && y < rect.height) count++
      }
      return count
    }
    const stats = () => ({ nodes: model.nodes.size, edges: model.edges.size, lastLoadMs,
      shown: onScreen(),
      undo: history.done.length, redo: history.undone.length, zoom: zoom.value })

    flow.onPaneReady(() => emit('ready'))

    // The minimap shows each node's run state in the same colours as the canvas.
    const minimapColor = (node) => {
      if (node.type === 'note') return '#c9a227'
      if (node.type === 'group') return 'rgba(92,107,192,0.25)'
      if (node.data?.mode === 'bypass') return BYPASS_COLOUR
      return STATE_COLOURS[statusOf(node.id)?.status] || (problemsOf(node.id).length ? '#b5533d' : '#5b6270')
    }
    // Far away, state labels grow as the view shrinks so they stay readable (about 13 px on screen).
    const farScale = computed(() => (far.value ? Math.min(14, 1 / Math.max(zoom.value, 0.05)) : 1))
    const openLightbox = (url) => { overlay.value = { kind: 'image', url } }
    const openModel = async (url) => {
      overlay.value = { kind: 'model', url }
      await nextTick()
      const { mountViewer } = await import('./viewer3d.js')
      overlay.value.dispose = mountViewer(root.value.querySelector('.oy-model-canvas'), url)
    }
    const closeOverlay = () => {
      overlay.value?.dispose?.()
      overlay.value = null
    }

    const aliases = computed(() => props.aliases || {})
    const titleOf = (id) => {
      const n = model.nodes.get(id)
      return n?.data.title || specOf(n?.data)?.title || n?.data.type || id
    }
    // Explore a node's world in a new tab; the graph is journaled first, so the server runs what this tab shows.
    // A node inside a subgraph is named by its path, as the server's flattened graph names it.
    const openExplore = async (id) => {
      const tab = window.open('', '_blank')
      await sync.flush()
      if (tab) tab.location = `${props.apiBase}/explore?sid=${encodeURIComponent(props.session)}&node=${encodeURIComponent(pathOf(id))}`
    }
    // Previews of a node's outputs from the server's cache (a node a run found up to date has none of its own).
    const cachedPreviews = async (id) => {
      await sync.flush()
      const res = await fetch(`${props.apiBase}/api/session/${props.session}/cached?node=${encodeURIComponent(pathOf(id))}`,
        { credentials: 'same-origin' })
      return res.ok ? (await res.json()).previews : null
    }
    provide('oyster', { aliases, connecting, fits, catalog, status, problems, far, tiny, setParam, setData: setNodeData, seedMode, setSeedMode,
      emit, addNodeAtCenter, searchRef, openLightbox, openModel, openExplore, specOf, pathOf, statusOf, problemsOf, enterSubgraph,
      downstreamOf, titleOf, portsOf: (id) => specOf(model.nodes.get(id)?.data), modeOf: (id) => model.nodes.get(id)?.data.mode,
      openViewer: (node, output = null) => { viewer.value = { node, output } }, cachedPreviews })

    const minimap = ref(null)
    const api4tests = { minimapPoint: (id) => minimap.value?.pointOf(id) ?? null, fitAll: () => flow.fitView({ padding: 0.05 }), autoLayout, catalog: () => catalog.value,
      screenToFlow: (x, y) => flow.screenToFlowCoordinate({ x, y }), load, reload, getDoc, stats, focusNode, undo, redo, addNode, connect, setStatus, prepareRun,
      runSubmitted, dirty, flush: () => sync.flush(), toggleBypass, makeSubgraph, enterSubgraph, leaveTo, levels: () => levels.value.map((l) => l.node),
      openViewer: (node, output = null) => { viewer.value = { node, output } }, journaled: () => sync.journaled ?? null, pending: () => sync.pending,
      get catalogReady() { return catalogLoaded }, session: props.session }
    watch(() => props.docId, (id) => { if (id) sessionStorage.setItem(JOURNAL_KEY, id) })
    onMounted(() => {
      window.oysterEditor = api4tests
      const remembered = sessionStorage.getItem(JOURNAL_KEY)
      resumedFrom = remembered
      if (remembered && remembered !== props.docId) emit('resume', { doc_id: remembered })
      else {
        if (props.docId) sessionStorage.setItem(JOURNAL_KEY, props.docId)
        reload()
      }
    })

    return { minimap, flowId, nodeTypes, isValidConnection, ConnectionMode, onDragOver, onDrop, root, toast, hint, overlay,
      closeOverlay, saved, counts, zoom, meta, undo, redo, addNote, groupSelection, fit, deleteSelection,
      load, reload, setStatus, setProblems, setParamValue, flush, focusNode, prepareRun, runSubmitted,
      setMeta, getDoc, stats, openFile, markSaved, showNotice, notice, quick, quickPick, onCanvasDblClick,
      onPointerMove, autoLayout, openQuickAddAtPointer, sheet, shortcuts: SHORTCUTS, historyOpen, steps, goToStep,
      canUndo: () => history.canUndo, canRedo: () => history.canRedo, minimapColor, far, tiny, farScale,
      toggleBypass, makeSubgraph, levels, leaveTo, renameSubgraph, viewer, onCanvasClickCapture, panel }
  },
  template: `<div ref="root" class="oy-editor" :class="{ 'oy-far': far, 'oy-tiny': tiny }" :style="{ '--oy-far-scale': farScale }">
    <Palette />
    <div class="oy-canvas" @dragover="onDragOver" @drop="onDrop" @dblclick="onCanvasDblClick"
        @pointermove.passive="onPointerMove" @click.capture="onCanvasClickCapture">
      <VueFlow :id="flowId" :node-types="nodeTypes" :is-valid-connection="isValidConnection"
        :connection-mode="ConnectionMode.Strict" :delete-key-code="null" :min-zoom="0.08" :max-zoom="2.5"
        :connection-radius="28" :snap-to-grid="false" multi-selection-key-code="Control" selection-key-code="Shift"
        :default-edge-options="{ type: 'default' }" :elevate-edges-on-select="true" fit-view-on-init
        :zoom-on-double-click="false" :disable-keyboard-a11y="true"
        :only-render-visible-elements="false">
        <Background v-if="!far" pattern-color="#2c2f36" :gap="24" :size="1.4" />
        <CanvasMinimap ref="minimap" :flow-id="flowId" :node-color="minimapColor" />
      </VueFlow>
      <div class="oy-toolbar">
        <button title="Undo (Ctrl+Z)" aria-label="Undo (Ctrl+Z)" @click="undo"><i class="material-icons" aria-hidden="true">undo</i></button>
        <button title="Redo (Ctrl+Shift+Z)" aria-label="Redo (Ctrl+Shift+Z)" @click="redo"><i class="material-icons" aria-hidden="true">redo</i></button>
        <span class="oy-sep"></span>
        <button title="Add a note (N)" aria-label="Add a note (N)" @click="addNote"><i class="material-icons" aria-hidden="true">sticky_note_2</i></button>
        <button title="Group the selection (Ctrl+G)" aria-label="Group the selection (Ctrl+G)" @click="groupSelection"><i class="material-icons" aria-hidden="true">crop_free</i></button>
        <button title="Delete the selection (Del)" aria-label="Delete the selection (Del)" @click="deleteSelection"><i class="material-icons" aria-hidden="true">delete_outline</i></button>
        <button title="Bypass the selection (Ctrl+B)" aria-label="Bypass the selection (Ctrl+B)" data-testid="bypass-button"
          @click="toggleBypass"><i class="material-icons" aria-hidden="true">alt_route</i></button>
        <button title="Make a subgraph of the selection (Ctrl+Shift+G)" aria-label="Make a subgraph of the selection (Ctrl+Shift+G)"
          data-testid="subgraph-button" @click="makeSubgraph"><i class="material-icons" aria-hidden="true">widgets</i></button>
        <span class="oy-sep"></span>
        <button title="Fit view (F)" aria-label="Fit view (F)" @click="fit"><i class="material-icons" aria-hidden="true">fit_screen</i></button>
        <button title="Lay out the selection or the whole graph (L)" aria-label="Lay out the selection or the whole graph (L)"
          data-testid="layout-button" @click="autoLayout"><i class="material-icons" aria-hidden="true">account_tree</i></button>
        <button title="History of edits" aria-label="History of edits" data-testid="history-button"
          @click="historyOpen = !historyOpen"><i class="material-icons" aria-hidden="true">history</i></button>
        <button title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts (?)" data-testid="shortcuts-button"
          @click="sheet = !sheet"><i class="material-icons" aria-hidden="true">keyboard</i></button>
        <span class="oy-sep"></span>
        <button title="Batch: sweep parameters into jobs" aria-label="Batch: sweep parameters into jobs" data-testid="batch-button"
          @click="panel = panel === 'batch' ? null : 'batch'"><i class="material-icons" aria-hidden="true">dynamic_feed</i></button>
        <button title="Schedules" aria-label="Schedules" data-testid="schedules-button"
          @click="panel = panel === 'schedules' ? null : 'schedules'"><i class="material-icons" aria-hidden="true">schedule</i></button>
      </div>
      <BatchPanel v-if="panel === 'batch'" :api-base="apiBase" :session="session" :get-doc="getDoc" :flush="flush"
        :set-status="setStatus" @close="panel = null" />
      <SchedulesPanel v-if="panel === 'schedules'" :api-base="apiBase" :session="session" :flush="flush" @close="panel = null" />
      <nav v-if="levels.length" class="oy-breadcrumb" aria-label="Subgraph path" data-testid="breadcrumb">
        <button aria-label="Back to the workflow" @click="leaveTo(0)">{{ meta.name || 'workflow' }}</button>
        <template v-for="(l, i) in levels" :key="l.node"><span aria-hidden="true">›</span>
          <button v-if="i < levels.length - 1" :aria-label="'Back to subgraph ' + l.title" @click="leaveTo(i + 1)">{{ l.title }}</button>
          <input v-else class="oy-breadcrumb-title" aria-label="subgraph title" :value="l.title"
            @change="renameSubgraph($event.target.value.trim() || 'subgraph')"></template>
      </nav>
      <ViewerPanel v-if="viewer" :target="viewer" @close="viewer = null" />
      <QuickAdd v-if="quick" :at="quick.at" :filter="quick.filter" :title="quick.title" @pick="quickPick"
        @close="quick = null" />
      <div v-if="historyOpen" class="oy-history" role="dialog" aria-label="History of edits" data-testid="history-panel">
        <div class="oy-sheet-head">History<button aria-label="Close the history" @click="historyOpen = false">✕</button></div>
        <button v-for="s in steps" :key="s.at + (s.done ? 'd' : 'u')" class="oy-step" :class="{ 'oy-step-undone': !s.done }"
          :aria-label="(s.done ? 'Go back to after ' : 'Redo up to ') + s.label" @click="goToStep(s.at)">{{ s.label }}</button>
        <button class="oy-step" :class="{ 'oy-step-undone': !steps.some((s) => s.done) }" aria-label="Go back to the opened graph"
          @click="goToStep(0)">opened</button>
      </div>
      <div v-if="sheet" class="oy-sheet" role="dialog" aria-label="Keyboard shortcuts" data-testid="shortcut-sheet">
        <div class="oy-sheet-head">Keyboard shortcuts<button aria-label="Close the shortcuts" @click="sheet = false">✕</button></div>
        <table><tr v-for="[keys, what] in shortcuts" :key="keys"><th>{{ keys }}</th><td>{{ what }}</td></tr></table>
      </div>
      <div v-if="hint" class="oy-refusal"><i class="material-icons" aria-hidden="true">block</i> {{ hint.text }}</div>
      <div v-if="notice" class="oy-notice" role="status" data-testid="notice"><i class="material-icons"
        aria-hidden="true">restore</i><span>{{ notice }}</span><button aria-label="Dismiss the notice"
        @click="notice = null">✕</button></div>
      <div v-if="toast" class="oy-toast" :class="'oy-toast-' + toast.kind">{{ toast.text }}</div>
      <div class="oy-statusbar">
        <span>{{ counts.nodes }} nodes · {{ counts.links }} links</span>
        <span>{{ Math.round(zoom * 100) }}%</span>
        <span v-if="saved" class="oy-saved">{{ saved }}</span>
      </div>
      <div v-if="overlay" class="oy-overlay" @click.self="closeOverlay">
        <img v-if="overlay.kind === 'image'" :src="overlay.url" class="oy-lightbox">
        <div v-else class="oy-model-canvas"></div>
        <button class="oy-overlay-close" aria-label="Close the view" @click="closeOverlay">✕</button>
      </div>
    </div>
  </div>`,
}



// The minimap, drawn into one canvas: one rectangle per node in its state's colour and the view as a window
// in a dark mask. A canvas is a single element for the browser to hit-test and paint, however many nodes
// the graph has (an SVG minimap is one element per node, tested on every pointer move of a pan).
// Dragging on it pans the view, the wheel zooms it, a click centres the view there.
import { Panel, useVueFlow } from '@vue-flow/core'
import { onBeforeUnmount, onMounted, ref, watch } from 'vue'

export const MAP_WIDTH = 200
export const MAP_HEIGHT = 150
const PAD = 0.1

// Where a flow rectangle lands on the map: the box of all nodes and the view, scaled to fit and centred.
export function mapTransform(nodes, view, width = MAP_WIDTH, height = MAP_HEIGHT) {
  let [x0, y0, x1, y1] = [view.x, view.y, view.x + view.width, view.y + view.height]
  for (const n of nodes) {
    x0 = Math.min(x0, n.x)
    y0 = Math.min(y0, n.y)
    x1 = Math.max(x1, n.x + n.width)
    y1 = Math.max(y1, n.y + n.height)
  }
  const [w, h] = [Math.max(1, x1 - x0), Math.max(1, y1 - y0)]
  const scale = Math.min(width / (w * (1 + PAD)), height / (h * (1 + PAD)))
  return { scale, x: (width - w * scale) / 2 - x0 * scale, y: (height - h * scale) / 2 - y0 * scale }
}

// A node's rectangle on the map in whole pixels, at least two wide and tall so its colour always shows.
export function mapRect(t, n) {
  const x = Math.floor(n.x * t.scale + t.x)
  const y = Math.floor(n.y * t.scale + t.y)
  return [x, y, Math.max(2, Math.round(n.width * t.scale)), Math.max(2, Math.round(n.height * t.scale))]
}

export const CanvasMinimap = {
  components: { Panel },
  props: { flowId: String, nodeColor: Function, maskColor: { type: String, default: 'rgba(10,12,16,0.72)' } },
  setup(props) {
    const flow = useVueFlow(props.flowId)
    const canvas = ref(null)
    let transform = { scale: 1, x: 0, y: 0 }
    let frame = 0
    const viewRect = () => {
      const { x, y, zoom } = flow.viewport.value
      const { width, height } = flow.dimensions.value
      return { x: -x / zoom, y: -y / zoom, width: width / zoom, height: height / zoom }
    }
    const boxes = () => flow.nodes.value.filter((n) => !n.hidden).map((n) => ({ node: n, x: n.position.x, y: n.position.y,
      width: n.dimensions?.width || 0, height: n.dimensions?.height || 0 }))
    const draw = () => {
      frame = 0
      const el = canvas.value
      if (!el) return
      const ratio = window.devicePixelRatio || 1
      if (el.width !== MAP_WIDTH * ratio) [el.width, el.height] = [MAP_WIDTH * ratio, MAP_HEIGHT * ratio]
      const g = el.getContext('2d')
      g.setTransform(ratio, 0, 0, ratio, 0, 0)
      g.clearRect(0, 0, MAP_WIDTH, MAP_HEIGHT)
      const list = boxes().filter((b) => b.width && b.height)
      const view = viewRect()
      transform = mapTransform(list, view)
      // groups first, so the nodes inside them stay visible
      for (const b of [...list.filter((b) => b.node.type === 'group'), ...list.filter((b) => b.node.type !== 'group')]) {
        g.fillStyle = props.nodeColor(b.node)
        g.fillRect(...mapRect(transform, b))
      }
      const [vx, vy] = [view.x * transform.scale + transform.x, view.y * transform.scale + transform.y]
      g.beginPath()
      g.rect(0, 0, MAP_WIDTH, MAP_HEIGHT)
      g.rect(vx, vy, view.width * transform.scale, view.height * transform.scale)
      g.fillStyle = props.maskColor
      g.fill('evenodd')
    }
    const schedule = () => { if (!frame) frame = requestAnimationFrame(draw) }
    // what the picture depends on: the view (all a pan changes), and the nodes' places, sizes and colours
    watch(() => [flow.viewport.value.x, flow.viewport.value.y, flow.viewport.value.zoom, flow.dimensions.value.width,
      flow.dimensions.value.height], schedule)
    watch(() => {
      const parts = []
      for (const n of flow.nodes.value) {
        parts.push(n.position.x, n.position.y, n.dimensions?.width, n.dimensions?.height, n.hidden, props.nodeColor(n))
      }
      return parts.join(',')
    }, schedule)
    onMounted(schedule)
    onBeforeUnmount(() => cancelAnimationFrame(frame))

    // the flow point under a pointer on the map
    const toFlow = (e) => {
      const r = canvas.value.getBoundingClientRect()
      return { x: (e.clientX - r.left - transform.x) / transform.scale, y: (e.clientY - r.top - transform.y) / transform.scale }
    }
    const centreOn = (p) => {
      const { zoom } = flow.viewport.value
      const { width, height } = flow.dimensions.value
      flow.setViewport({ x: width / 2 - p.x * zoom, y: height / 2 - p.y * zoom, zoom })
    }
    let dragging = null
    const onDown = (e) => {
      if (e.button !== 0) return
      e.preventDefault()
      canvas.value.setPointerCapture?.(e.pointerId)
      dragging = { scale: transform.scale }
      centreOn(toFlow(e))
    }
    const onMove = (e) => {
      if (!dragging) return
      const { x, y, zoom } = flow.viewport.value
      flow.setViewport({ x: x - (e.movementX / dragging.scale) * zoom, y: y - (e.movementY / dragging.scale) * zoom, zoom })
    }
    const onUp = (e) => {
      dragging = null
      canvas.value?.releasePointerCapture?.(e.pointerId)
    }
    const onWheel = (e) => {
      e.preventDefault()
      const { zoom } = flow.viewport.value
      const next = Math.min(flow.maxZoom.value, Math.max(flow.minZoom.value, zoom * (e.deltaY < 0 ? 1.2 : 1 / 1.2)))
      const { width, height } = flow.dimensions.value
      const centre = { x: (width / 2 - flow.viewport.value.x) / zoom, y: (height / 2 - flow.viewport.value.y) / zoom }
      flow.setViewport({ x: width / 2 - centre.x * next, y: height / 2 - centre.y * next, zoom: next })
    }
    // for tests: the map pixel at a node's centre
    const pointOf = (id) => {
      const n = boxes().find((b) => b.node.id === id)
      if (!n) return null
      const [x, y, w, h] = mapRect(transform, n)
      return { x: x + Math.floor(w / 2), y: y + Math.floor(h / 2) }
    }
    return { canvas, onDown, onMove, onUp, onWheel, pointOf, MAP_WIDTH, MAP_HEIGHT }
  },
  template: `<Panel position="bottom-right" class="vue-flow__minimap oy-minimap">
    <canvas ref="canvas" role="img" aria-label="Minimap of the graph: drag to pan, wheel to zoom" data-testid="minimap"
      :style="{ width: MAP_WIDTH + 'px', height: MAP_HEIGHT + 'px' }" @pointerdown="onDown" @pointermove="onMove"
      @pointerup="onUp" @pointercancel="onUp" @wheel="onWheel"></canvas>
  </Panel>`,
}

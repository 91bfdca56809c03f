// The Explore page: shows the server's JPEG frames, acknowledges each one (the server renders the next only
// then), and sends input as small JSON messages. Keyboard alone works; mouse look uses pointer lock; a
// gamepad is read through the Gamepad API where the browser has one.

const API = '/oyster/api/explore'
const params = new URLSearchParams(location.search)
const $ = (id) => document.getElementById(id)
const view = $('view')
const map = $('map')
const hud = $('hud')
const logBox = $('log')
// keys the server's walker knows; J L I K turn and look from the keyboard (sent as look messages)
const MOVE_KEYS = new Set(['KeyW', 'KeyA', 'KeyS', 'KeyD', 'KeyQ', 'KeyE', 'ArrowUp', 'ArrowDown', 'ArrowLeft',
  'ArrowRight', 'Space', 'ShiftLeft', 'ShiftRight'])
const LOOK_KEYS = { KeyJ: [-1, 0], KeyL: [1, 0], KeyI: [0, 1], KeyK: [0, -1] }
const KEY_LOOK_DEG_PER_S = 90
const MOUSE_DEG_PER_PX = 0.15

const state = {
  ws: null, world: params.get('world'), sid: params.get('sid'), node: params.get('node'), hello: null,
  seq: 0, held: new Set(), lookKeys: new Set(), look: [0, 0], last: null, frames: 0, mode: 'walk',
  mapImage: null, mapUrl: null, frameUrl: null, pad: new Set(), lastTick: performance.now(),
}
// what a test or a script can read: the last frame's header, counts and replies
window.oysterExplore = { frames: 0, header: null, replies: [], errors: [], recording: null, send: (m) => send(m),
  lastSeq: () => state.seq,
  get open() { return state.ws?.readyState === WebSocket.OPEN } }

function say(text, kind = 'info') {
  const line = document.createElement('div')
  line.className = `ex-log-${kind}`
  line.textContent = text
  logBox.prepend(line)
  while (logBox.childNodes.length > 30) logBox.lastChild.remove()
}

function send(msg) {
  if (state.ws?.readyState !== WebSocket.OPEN) return null
  const seq = ++state.seq
  state.ws.send(JSON.stringify({ ...msg, seq }))
  return seq
}

async function openWorld() {
  if (state.world) return state.world
  if (!state.node) throw new Error('open Explore from a world or simulate node in the editor')
  say('preparing the world…')
  const res = await fetch(`${API}/worlds`, { method: 'POST', credentials: 'same-origin',
    headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sid: state.sid, node: state.node }) })
  const body = await res.json()
  if (!res.ok) throw new Error((body.problems || []).map((p) => p.text || p.message).join('\n') || 'cannot open')
  const next = new URLSearchParams(location.search)
  next.set('world', body.world)
  history.replaceState(null, '', `${location.pathname}?${next}`)
  return body.world
}

function connect(world) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  const size = `w=${params.get('w') || 640}&h=${params.get('h') || 360}`
  const ws = new WebSocket(`${scheme}://${location.host}${API}/ws?world=${encodeURIComponent(world)}&${size}`)
  ws.binaryType = 'arraybuffer'
  ws.onmessage = (e) => (typeof e.data === 'string' ? onText(JSON.parse(e.data)) : onBinary(e.data))
  ws.onclose = (e) => { say(`stream closed${e.reason ? `: ${e.reason}` : ''}`, 'error'); hud.textContent = 'disconnected' }
  state.ws = ws
}

function onBinary(buf) {
  const n = new DataView(buf).getUint32(0)
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n)))
  const blob = new Blob([new Uint8Array(buf, 4 + n)], { type: 'image/jpeg' })
  if (header.kind === 'map') {
    const img = new Image()
    img.onload = () => { state.mapImage = img; drawMap() }
    img.src = URL.createObjectURL(blob)
    state.mapSize = header.size_m
    return
  }
  const url = URL.createObjectURL(blob)
  view.onload = () => {
    if (state.frameUrl) URL.revokeObjectURL(state.frameUrl)
    state.frameUrl = url
  }
  view.src = url
  state.ws.send(JSON.stringify({ type: 'ack', frame: header.frame }))
  state.last = header
  window.oysterExplore.frames = ++state.frames
  window.oysterExplore.header = header
  showState(header)
}

function onText(msg) {
  if (msg.type === 'hello') return onHello(msg)
  if (msg.type === 'recording') return insertRecording(msg)
  if (msg.for === 'status' && msg.ok === false) return  // a session without a timeline: no scrubber
  if (msg.type === 'error' || msg.ok === false) {
    window.oysterExplore.errors.push(msg)
    say(msg.error, 'error')
    return
  }
  window.oysterExplore.replies.push(msg)
  if (['status', 'play', 'pause', 'seek'].includes(msg.for)) showTimeline(msg)
  if (msg.for === 'say') say(`done: ${(msg.did || []).length} change(s)`)
  if (msg.for === 'snapshot') say(`snapshot ${msg.snapshot}`)
  if (msg.for === 'restore') say(`rewound to ${msg.restored} (t = ${msg.t.toFixed(2)} s)`)
}

function onHello(msg) {
  state.hello = msg
  $('source').textContent = `${msg.kind === 'timeline' ? 'Shot' : 'World'} of node ${msg.node} · ` +
    `${msg.size_m} m · private session${msg.simulated ? ' · physics running' : ''}`
  const sel = $('weather')
  for (const w of msg.weathers || []) sel.append(new Option(w, w))
  view.focus()
  if (state.held.size) send({ type: 'keys', down: [...state.held] })  // held (or a stick pushed) before the socket opened
  send({ type: 'status' })  // a session that plays a timeline answers with its length: the scrubber shows
}

// Play, pause and scrub, where the session offers a timeline (its 'status' answers with a duration).
function showTimeline(status) {
  if (typeof status.duration_s !== 'number') return
  state.playing = status.playing
  $('timeline').hidden = false
  $('scrub').max = String(status.duration_s)
  $('play').textContent = status.playing ? 'Pause' : 'Play'
  $('play').setAttribute('aria-label', status.playing ? 'Pause the world' : 'Play the world')
}

function showState(h) {
  const mode = h.mode
  if (mode !== state.mode) {
    state.mode = mode
    $('mode').textContent = mode === 'walk' ? 'Fly' : 'Walk'
    $('mode').setAttribute('aria-label', `Switch to ${mode === 'walk' ? 'fly' : 'walk'} mode`)
    $('mode').setAttribute('aria-pressed', String(mode === 'fly'))
  }
  $('speed-value').textContent = h.speed_mps
  if (typeof h.clock_h === 'number') {
    $('clock-value').textContent = clockText(h.clock_h)
    if (document.activeElement !== $('clock')) $('clock').value = h.clock_h
  }
  if (h.weather && document.activeElement !== $('weather')) $('weather').value = h.weather
  hud.textContent = `${mode} · x ${h.pos[0].toFixed(1)} y ${h.pos[1].toFixed(1)} z ${h.pos[2].toFixed(1)} · ` +
    `t ${h.t.toFixed(1)} s · ${h.weather || ''} · frame ${h.frame}${h.dropped ? ` · ${h.dropped} skipped` : ''}`
  const snaps = $('snapshots')
  if (snaps.options.length !== h.snapshots.length) {
    snaps.replaceChildren(...h.snapshots.map((s) => new Option(s, s)))
    snaps.value = h.snapshots[h.snapshots.length - 1] || ''
  }
  if (!$('timeline').hidden) {
    $('scrub-value').textContent = `${h.t.toFixed(1)} s`
    if (document.activeElement !== $('scrub')) $('scrub').value = String(h.t)
  }
  drawMap()
}

const clockText = (h) => `${String(Math.floor(h)).padStart(2, '0')}:${String(Math.round((h % 1) * 60) % 60).padStart(2, '0')}`

function drawMap() {
  const g = map.getContext('2d')
  const W = map.width
  g.clearRect(0, 0, W, W)
  if (state.mapImage) g.drawImage(state.mapImage, 0, 0, W, W)
  const h = state.last
  if (!h || !state.mapSize) return
  const x = (h.pos[0] / state.mapSize) * W
  const y = W - (h.pos[1] / state.mapSize) * W
  const a = (h.yaw_deg * Math.PI) / 180
  g.strokeStyle = '#fff'
  g.lineWidth = 2
  g.beginPath()
  g.moveTo(x, y)
  g.lineTo(x + 10 * Math.cos(a), y - 10 * Math.sin(a))
  g.stroke()
  g.fillStyle = '#ff5a4f'
  g.beginPath()
  g.arc(x, y, 4, 0, 2 * Math.PI)
  g.fill()
}

// --- input ---------------------------------------------------------------------------------------
function keyMessage(code, down) {
  if (MOVE_KEYS.has(code)) {
    if (down === state.held.has(code)) return
    if (down) state.held.add(code)
    else state.held.delete(code)
    send(down ? { type: 'keys', down: [code] } : { type: 'keys', up: [code] })
  } else if (LOOK_KEYS[code]) {
    if (down) state.lookKeys.add(code)
    else state.lookKeys.delete(code)
  }
}

view.addEventListener('keydown', (e) => {
  if (e.code === 'KeyF' && !e.repeat) { toggleMode(); e.preventDefault(); return }
  if (MOVE_KEYS.has(e.code) || LOOK_KEYS[e.code]) {
    e.preventDefault()
    keyMessage(e.code, true)
  }
})
view.addEventListener('keyup', (e) => keyMessage(e.code, false))
view.addEventListener('blur', () => {
  if (state.held.size) send({ type: 'keys', up: [...state.held] })
  state.held.clear()
  state.lookKeys.clear()
})
view.addEventListener('click', () => view.requestPointerLock?.())
document.addEventListener('mousemove', (e) => {
  if (document.pointerLockElement !== view) return
  state.look[0] += e.movementX * MOUSE_DEG_PER_PX
  state.look[1] -= e.movementY * MOUSE_DEG_PER_PX
})

function toggleMode() {
  send({ type: 'mode', mode: state.mode === 'walk' ? 'fly' : 'walk' })
}

// Look input is summed and sent once per animation frame; gamepad sticks become keys and look.
function pump(now) {
  const dt = Math.min(0.1, (now - state.lastTick) / 1000)
  state.lastTick = now
  for (const code of state.lookKeys) {
    state.look[0] += LOOK_KEYS[code][0] * KEY_LOOK_DEG_PER_S * dt
    state.look[1] += LOOK_KEYS[code][1] * KEY_LOOK_DEG_PER_S * dt
  }
  readGamepad(dt)
  if (Math.abs(state.look[0]) > 0.01 || Math.abs(state.look[1]) > 0.01) {
    send({ type: 'look', dx: +state.look[0].toFixed(3), dy: +state.look[1].toFixed(3) })
    state.look = [0, 0]
  }
  requestAnimationFrame(pump)
}

function readGamepad(dt) {
  const pad = [...(navigator.getGamepads?.() || [])].find((p) => p && p.connected)
  if (!pad) return
  const [lx, ly, rx, ry] = [pad.axes[0] || 0, pad.axes[1] || 0, pad.axes[2] || 0, pad.axes[3] || 0]
  const want = new Set()
  if (ly < -0.3) want.add('KeyW')
  if (ly > 0.3) want.add('KeyS')
  if (lx < -0.3) want.add('KeyA')
  if (lx > 0.3) want.add('KeyD')
  if (pad.buttons[0]?.pressed) want.add('Space')
  if (pad.buttons[10]?.pressed) want.add('ShiftLeft')
  for (const k of want) if (!state.pad.has(k)) keyMessage(k, true)
  for (const k of state.pad) if (!want.has(k)) keyMessage(k, false)
  state.pad = want
  if (Math.abs(rx) > 0.15) state.look[0] += rx * KEY_LOOK_DEG_PER_S * dt
  if (Math.abs(ry) > 0.15) state.look[1] -= ry * KEY_LOOK_DEG_PER_S * dt
  if (pad.buttons[3]?.pressed && !state.padMode) toggleMode()
  state.padMode = !!pad.buttons[3]?.pressed
}

// --- controls ------------------------------------------------------------------------------------
$('mode').addEventListener('click', toggleMode)
$('jump').addEventListener('click', () => {
  send({ type: 'keys', down: ['Space'] })
  setTimeout(() => send({ type: 'keys', up: ['Space'] }), 150)
})
$('speed').addEventListener('change', (e) => send({ type: 'speed', mps: Number(e.target.value) }))
$('clock').addEventListener('change', (e) => send({ type: 'time', clock_h: Number(e.target.value) }))
$('weather').addEventListener('change', (e) => e.target.value && send({ type: 'weather', weather: e.target.value }))
$('say-form').addEventListener('submit', (e) => {
  e.preventDefault()
  const text = $('say').value.trim()
  if (!text) return
  send({ type: 'say', text })
  say(`you: ${text}`)
  $('say').value = ''
})
$('snapshot').addEventListener('click', () => send({ type: 'snapshot', name: `t${(state.last?.t || 0).toFixed(1)}` }))
$('rewind').addEventListener('click', () => {
  const name = $('snapshots').value
  if (name) send({ type: 'restore', name })
  else say('take a snapshot first', 'error')
})
$('record').addEventListener('click', () => send({ type: 'record' }))
$('play').addEventListener('click', () => send({ type: state.playing ? 'pause' : 'play' }))
$('scrub').addEventListener('change', (e) => send({ type: 'seek', t: Number(e.target.value) }))

async function insertRecording(msg) {
  window.oysterExplore.recording = msg
  if (msg.ok === false) {  // e.g. a session too long for one action script: it says what to do
    window.oysterExplore.errors.push(msg)
    return say(msg.error, 'error')
  }
  const editor = window.opener && !window.opener.closed ? window.opener.oysterEditor : null
  if (!state.sid || !editor) {
    say('recorded; open Explore from the editor to insert the nodes into its graph', 'error')
    return
  }
  const res = await fetch(`${API}/record`, { method: 'POST', credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ world: msg.world, sid: state.sid, nodes: msg.nodes }) })
  const body = await res.json()
  if (!res.ok) return say((body.problems || []).map((p) => p.text || p.message).join('\n'), 'error')
  await editor.reload()
  window.oysterExplore.inserted = body
  const bad = body.problems || []
  say(bad.length ? `inserted with problems: ${bad.map((p) => p.text).join('; ')}`
    : `inserted ${Object.values(body.nodes).join(', ')} into the graph` +
      (Object.keys(body.nodes).some((role) => role.startsWith('import'))
        ? `; the shot takes its world from ${body.world.node} (it holds the meshes brought in)` : ''),
    bad.length ? 'error' : 'info')
}

openWorld().then(connect, (err) => say(err.message, 'error'))
requestAnimationFrame(pump)

// A 3D view of a world's GLB (three.js), loaded only when someone opens it.
// The view draws only when something changed (load, orbit, resize); `el.dataset.state` says where it is:
// loading, drawn (a frame with the model is on screen) or error.
import { Box3, Color, DirectionalLight, HemisphereLight, PerspectiveCamera, Scene, Vector3, WebGLRenderer } from 'three'
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js'
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js'

function showError(el, text) {
  el.dataset.state = 'error'
  const box = document.createElement('div')
  box.className = 'oy-model-error'
  box.textContent = text
  el.replaceChildren(box)
}

// Look at the model from the south-east, high enough to see across it, with all of it in view.
function frame(camera, controls, object) {
  const box = new Box3().setFromObject(object)
  const centre = box.getCenter(new Vector3())
  const radius = Math.max(box.getSize(new Vector3()).length() / 2, 1)
  const fov = (camera.fov * Math.PI) / 180
  const distance = (radius / Math.sin(Math.min(fov, fov * camera.aspect) / 2)) * 0.95
  camera.position.copy(centre).add(new Vector3(0.55, 0.6, 0.6).normalize().multiplyScalar(distance))
  camera.near = distance / 1000
  camera.far = distance * 10
  camera.updateProjectionMatrix()
  controls.target.copy(centre)
  controls.maxDistance = distance * 4
  controls.minDistance = radius / 100
  controls.update()
}

const SUN_INTENSITY = 2.2

// GLBs carry their sun in physical units (lux), far too bright for an unexposed view: keep its direction and
// colour, scale every light of the file by the same factor, and let it replace the default sun.
function tameLights(object, defaultSun) {
  const lights = []
  object.traverse((o) => { if (o.isLight) lights.push(o) })
  const suns = lights.filter((l) => l.isDirectionalLight)
  if (!suns.length) return
  const scale = SUN_INTENSITY / Math.max(...suns.map((l) => l.intensity), 1e-6)
  for (const l of lights) l.intensity *= scale
  defaultSun.visible = false
}

export function mountViewer(el, url) {
  el.dataset.state = 'loading'
  let renderer
  try {
    renderer = new WebGLRenderer({ antialias: true, preserveDrawingBuffer: true })
  } catch (err) {
    showError(el, `The 3D view needs WebGL, which this browser does not offer (${err.message || err}).`)
    return () => el.replaceChildren()
  }
  renderer.setPixelRatio(window.devicePixelRatio)
  renderer.setSize(el.clientWidth, el.clientHeight)
  el.appendChild(renderer.domElement)
  const scene = new Scene()
  scene.background = new Color('#14161b')
  scene.add(new HemisphereLight('#dfe8ff', '#3a3326', 1.4))
  const sun = new DirectionalLight('#fff6e8', SUN_INTENSITY)
  sun.position.set(0.6, 1, 0.4)
  scene.add(sun)
  const camera = new PerspectiveCamera(45, el.clientWidth / el.clientHeight, 0.1, 100000)
  const controls = new OrbitControls(camera, renderer.domElement)
  controls.maxPolarAngle = Math.PI * 0.495
  let model = null
  let pending = 0
  const draw = () => {
    pending = 0
    renderer.render(scene, camera)
    if (model) el.dataset.state = 'drawn'
  }
  const redraw = () => { pending ||= requestAnimationFrame(draw) }
  controls.addEventListener('change', redraw)
  const resize = new ResizeObserver(() => {
    if (!el.clientWidth || !el.clientHeight) return
    renderer.setSize(el.clientWidth, el.clientHeight)
    camera.aspect = el.clientWidth / el.clientHeight
    camera.updateProjectionMatrix()
    redraw()
  })
  resize.observe(el)
  new GLTFLoader().load(url, (gltf) => {
    model = gltf.scene
    tameLights(model, sun)
    scene.add(model)
    frame(camera, controls, model)
    redraw()
  }, undefined, (err) => showError(el, `cannot load ${url}: ${err.message || err}`))
  redraw()
  return () => {
    cancelAnimationFrame(pending)
    resize.disconnect()
    controls.dispose()
    renderer.dispose()
    el.replaceChildren()
  }
}

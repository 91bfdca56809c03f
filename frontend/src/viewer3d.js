// A 3D view of a world's GLB (three.js), loaded only when someone opens it.
import { Box3, Color, DirectionalLight, HemisphereLight, PerspectiveCamera, Scene, Vector3, WebGLRenderer } from 'three'
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js'
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js'

export function mountViewer(el, url) {
  let renderer
  try {
    renderer = new WebGLRenderer({ antialias: true })
  } catch (err) {
    el.innerHTML = '<div class="oy-model-error"></div>'
    el.firstChild.textContent = `The 3D view needs WebGL, which this browser does not offer (${err.message || err}).`
    return () => el.replaceChildren()
  }
  renderer.setPixelRatio(window.devicePixelRatio)
  renderer.setSize(el.clientWidth, el.clientHeight)
  el.appendChild(renderer.domElement)
  const scene = new Scene()
  scene.background = new Color('#14161b')
  scene.add(new HemisphereLight('#dfe8ff', '#3a3326', 1.2))
  const sun = new DirectionalLight('#ffffff', 1.6)
  sun.position.set(1, 2, 1.5)
  scene.add(sun)
  const camera = new PerspectiveCamera(50, el.clientWidth / el.clientHeight, 0.1, 100000)
  const controls = new OrbitControls(camera, renderer.domElement)
  let running = true
  new GLTFLoader().load(url, (gltf) => {
    scene.add(gltf.scene)
    const box = new Box3().setFromObject(gltf.scene)
    const size = box.getSize(new Vector3()).length() || 1
    const centre = box.getCenter(new Vector3())
    camera.position.copy(centre).add(new Vector3(size * 0.6, size * 0.45, size * 0.6))
    camera.far = size * 20
    camera.updateProjectionMatrix()
    controls.target.copy(centre)
  }, undefined, (err) => {
    el.textContent = `cannot load ${url}: ${err.message || err}`
  })
  const tick = () => {
    if (!running) return
    controls.update()
    renderer.render(scene, camera)
    requestAnimationFrame(tick)
  }
  tick()
  return () => {
    running = false
    controls.dispose()
    renderer.dispose()
    el.replaceChildren()
  }
}

// Bundles the editor into dist/ (ES modules; 'vue' comes from NiceGUI's import map).
import { rmSync } from 'node:fs'
import { build } from 'esbuild'

rmSync('dist', { recursive: true, force: true })

await build({
  entryPoints: { editor: 'src/editor.js' },
  bundle: true,
  format: 'esm',
  splitting: true,
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['vue'],
  minify: process.env.OYSTER_MINIFY !== '0',  // OYSTER_MINIFY=0: readable names for profiling
  target: 'es2020',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
})

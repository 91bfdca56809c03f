// The NiceGUI entry point of the editor: the bundle is served at /oyster/assets and mapped to this name.
export { default } from 'oyster-editor'

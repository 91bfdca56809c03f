// Undo and redo as commands: each edit knows how to apply and revert itself, so the history holds
// small deltas instead of whole-graph snapshots.

const LIMIT = 500
const MERGE_MS = 1200

// One history for the whole document, subgraphs included: each step remembers the subgraph level it was made
// at (`where()` says, e.g. ['subgraph1']), and undo or redo first goes to that level (`goTo`), then acts there.
export class History {
  constructor(onChange, { where = () => [], levelName = () => '', goTo = () => true } = {}) {
    this.done = []
    this.undone = []
    this.onChange = onChange
    this.where = where
    this.levelName = levelName
    this.goTo = goTo
  }

  // a step's name as the history panel lists it: with the subgraph it was made in
  static nameOf(command) {
    return command.level?.length ? `${command.label} · in ${command.levelName}` : command.label
  }

  run(command) {
    command.apply()
    this.push(command)
  }

  push(command) {
    command.level = [...this.where()]
    command.levelName = this.levelName()
    const last = this.done[this.done.length - 1]
    const sameLevel = last && last.level.join('/') === command.level.join('/')
    if (!(sameLevel && last.merge && last.merge(command))) {
      this.done.push(command)
      if (this.done.length > LIMIT) this.done.shift()
    }
    this.undone = []
    this.onChange(command.label)
  }

  undo() {
    const command = this.done.pop()
    if (!command) return null
    if (!this.goTo(command.level)) {  // its level is gone: the step stays where it was
      this.done.push(command)
      return null
    }
    command.revert()
    this.undone.push(command)
    this.onChange(command.label)
    return History.nameOf(command)
  }

  redo() {
    const command = this.undone.pop()
    if (!command) return null
    if (!this.goTo(command.level)) {
      this.undone.push(command)
      return null
    }
    command.apply()
    this.done.push(command)
    this.onChange(command.label)
    return History.nameOf(command)
  }

  clear() {
    this.done = []
    this.undone = []
  }

  get canUndo() {
    return this.done.length > 0
  }

  get canRedo() {
    return this.undone.length > 0
  }
}

const clone = (value) => JSON.parse(JSON.stringify(value))

// Commands are built against a small graph API: add/remove nodes and edges, update node fields.
export function addElements(api, nodes, edges, label = 'add') {
  const n = clone(nodes)
  const e = clone(edges)
  return {
    label,
    apply: () => {
      api.addNodes(clone(n))
      api.addEdges(clone(e))
    },
    revert: () => {
      api.removeEdges(e.map((x) => x.id))
      api.removeNodes(n.map((x) => x.id))
    },
  }
}

export function removeElements(api, nodes, edges, label = 'delete') {
  const inverse = addElements(api, nodes, edges, label)
  return { label, apply: inverse.revert, revert: inverse.apply }
}

export function batch(commands, label) {
  return {
    label,
    apply: () => commands.forEach((c) => c.apply()),
    revert: () => [...commands].reverse().forEach((c) => c.revert()),
  }
}

export function moveNodes(api, moves, label = 'move') {
  return {
    label,
    apply: () => moves.forEach((m) => api.setPosition(m.id, m.to)),
    revert: () => moves.forEach((m) => api.setPosition(m.id, m.from)),
  }
}

// Set one field of a node's data (a parameter, a title, a note's text); quick edits of the same
// field merge into one step so typing a word is one undo.
export function setData(api, id, path, before, after, label = 'edit') {
  const command = {
    label,
    id,
    path: path.join('.'),
    at: Date.now(),
    before: clone(before),
    after: clone(after),
    apply: () => api.setData(id, path, clone(command.after)),
    revert: () => api.setData(id, path, clone(command.before)),
    merge: (next) => {
      if (next.id !== id || next.path !== command.path || next.at - command.at > MERGE_MS) return false
      command.after = next.after
      command.at = next.at
      return true
    },
  }
  return command
}

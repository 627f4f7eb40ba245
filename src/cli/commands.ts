/**
 * The registry of btfkit commands, in the order `btfkit --help` lists them. Each command's
 * module is imported only when it runs (or for the help listing), so that e.g. `btfkit dump`
 * does not pay for loading the worker pool or the HTML report at start-up.
 */

import { registryOf, type Command, type CommandRegistry } from './command.js';

const loaders: Record<string, () => Promise<Command>> = {
  check: async () => (await import('./check.js')).checkCommand,
  'load-check': async () => (await import('./loadcheck.js')).loadCheckCommand,
  distill: async () => (await import('./distill.js')).distillCommand,
  encode: async () => (await import('./encode.js')).encodeCommand,
  relocate: async () => (await import('./relocate.js')).relocateCommand,
  'resolve-btfids': async () => (await import('./btfids.js')).resolveBtfIdsCommand,
  dedup: async () => (await import('./dedup.js')).dedupCommand,
  merge: async () => (await import('./merge.js')).mergeCommand,
  dump: async () => (await import('./dump.js')).dumpCommand,
  info: async () => (await import('./info.js')).infoCommand,
  elf: async () => (await import('./elf.js')).elfCommand,
  layout: async () => (await import('./layout.js')).layoutCommand,
  diff: async () => (await import('./diff.js')).diffCommand,
  default: async () => (await import('./info.js')).defaultCommand,
};

/** Every command. */
export const allCommands: CommandRegistry = registryOf(loaders);

/**
 * The command framework of the `btfkit` CLI: each command declares its options (for
 * node:util parseArgs), its usage text, and a run function. Usage mistakes throw UsageError
 * (exit 2); BtfkitError becomes one line on stderr (exit 1); nothing prints a stack trace.
 */

import type { ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface Command {
  name: string;
  summary: string;
  /** Usage lines shown by `btfkit help CMD` and on usage errors. */
  usage: string;
  options: OptionSpec;
  /** Optional rewrite of the raw arguments before parsing (e.g. optional option values). */
  preprocess?(args: string[]): string[];
  run(args: string[], values: Values): Promise<number>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function str(values: Values, key: string): string | undefined {
  const v = values[key];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return String(v[v.length - 1]);
  return undefined;
}

export function strs(values: Values, key: string): string[] {
  const v = values[key];
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.map(String);
  return [String(v)];
}

export function flag(values: Values, key: string): boolean {
  return values[key] === true;
}

export function int(values: Values, key: string, min: number, max: number): number | undefined {
  const s = str(values, key);
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s)) throw new UsageError(`--${key} takes a whole number, not '${s}'`);
  const n = Number(s);
  if (n < min || n > max) throw new UsageError(`--${key} must be between ${min} and ${max}`);
  return n;
}

let stdoutReady = false;

/**
 * Writes bytes or text to stdout and resolves once flushed (EPIPE is not an error: a closed
 * pipe ends the command). process.stdout is touched only here, on the first write: creating
 * it loads Node's stream modules, a few ms that a quiet command does not need.
 */
export function writeStdout(data: Uint8Array | string): Promise<void> {
  return new Promise((resolve) => {
    if (data.length === 0) return resolve();
    if (!stdoutReady) {
      stdoutReady = true;
      process.stdout.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(0);
      });
    }
    process.stdout.write(data, () => resolve());
  });
}

/** What run.ts dispatches to: the commands' names, and their modules loaded on demand. */
export interface CommandRegistry {
  commandNames: readonly string[];
  loadCommand(name: string): Promise<Command> | null;
  loadAllCommands(): Promise<Command[]>;
}

/** The registry of `loaders` (command name → its module's import), in their order. */
export function registryOf(loaders: Record<string, () => Promise<Command>>): CommandRegistry {
  const names = Object.keys(loaders);
  return {
    commandNames: names,
    loadCommand: (name) => (Object.prototype.hasOwnProperty.call(loaders, name) ? loaders[name]!() : null),
    loadAllCommands: () => Promise.all(names.map((n) => loaders[n]!())),
  };
}

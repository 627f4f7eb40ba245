/**
 * The command framework of the `btfkit` CLI: each command declares its options (for
 * node:util parseArgs), its usage text, and a run function. Usage mistakes throw UsageError
 * (exit 2); BtfkitError becomes one line on stderr (exit 1); nothing prints a stack trace.
 */

import { writeSync } from 'node:fs';
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

let stdoutStream = false;

/**
 * Writes bytes or text to stdout and resolves once written (EPIPE is not an error: a closed
 * pipe ends the command). A blocking stdout (a file, a terminal, most pipes) is written with
 * write(2) on fd 1: process.stdout is not made, which loads and sets up Node's stream modules
 * (about 2 ms, as much as a small command's output costs otherwise). Where fd 1 would block
 * (EAGAIN: a non-blocking pipe left full) or fails otherwise, the rest goes through
 * process.stdout, and every later write too, so that the output keeps its order.
 */
export function writeStdout(data: Uint8Array | string): Promise<void> {
  if (data.length === 0) return Promise.resolve();
  let bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (!stdoutStream) {
    let off = 0;
    try {
      while (off < bytes.length) off += writeSync(1, bytes, off, bytes.length - off);
      return Promise.resolve();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') process.exit(0);
      bytes = bytes.subarray(off);
    }
    stdoutStream = true;
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
    });
  }
  return new Promise((resolve) => {
    process.stdout.write(bytes, () => resolve());
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

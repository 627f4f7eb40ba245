/**
 * The `btfkit` command line over a registry of commands (commands.ts): dispatches to them,
 * turns every failure into one line on stderr and an exit status (0 ok, 1 failure, 2 usage
 * error). Entry points: main.ts (every command) and main-encode.ts (`btfkit encode` alone).
 */

import { readFileSync } from 'node:fs';
import { BtfkitError } from '../errors.js';
import { UsageError, type Command, type CommandRegistry, writeStdout } from './command.js';
import { didYouMean, parseCommandArgs } from './options.js';

/**
 * The package's version, from its package.json (read when asked, not at start-up). Three
 * levels up from both dist/src/cli/run.js and the bundles, dist/src/bin/btfkit*.cjs, whose
 * import.meta.url is their own file (scripts/bundle.ts).
 */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function mainHelp(all: Command[]): string {
  const commands = all.filter((c) => c.name !== 'default');
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `btfkit ${version()} — BTF toolkit: resilient split BTF, bpftool-identical dumps, module checks

Usage: btfkit [COMMAND] [ARGS...]
       btfkit                 with no command: a summary of the running kernel's BTF (/sys/kernel/btf/vmlinux)
       btfkit help COMMAND    details of one command

Commands:
${lines.join('\n')}

Inputs: raw BTF, ELF (vmlinux, .ko), compressed modules (.ko.xz/.zst/.gz) and kernel images
(/boot/vmlinuz-*) are all accepted, detected by content. A base of 'kernel' means
/sys/kernel/btf/vmlinux.
Options shared by every command: -B/--base BASE is the BTF split input was built against
(no default: give -B kernel for the running kernel); -j/--json prints JSON on stdout,
--json=FILE (or -j -o FILE where -o is free) writes it to FILE.
Exit status: 0 success, 1 failure (bad input, failed check), 2 usage error.
`;
}

/** "unknown command 'chek' (did you mean check?)" plus the general usage line. */
function unknownCommand(name: string, commandNames: readonly string[]): UsageError {
  const names = commandNames.filter((n) => n !== 'default');
  const what = name.startsWith('-') ? `unknown option '${name}'` : `unknown command '${name}'`;
  const guess = didYouMean(name.replace(/^-+/, ''), [...names, 'help', 'version']);
  return new UsageError(`${what}${guess ? ` (did you mean ${name.startsWith('-') && (guess === 'help' || guess === 'version') ? '--' : ''}${guess}?)` : ''}\nUsage: btfkit [COMMAND] [ARGS...]\nSee 'btfkit --help'.`);
}

function commandHelp(c: Command): string {
  return `btfkit ${c.name} — ${c.summary}\n\n${c.usage.trimEnd()}\n`;
}

async function main(argv: string[], registry: CommandRegistry): Promise<number> {
  const { loadCommand, loadAllCommands, commandNames } = registry;
  if (argv.length === 0) {
    const d = (await loadCommand('default'))!;
    return d.run([], {});
  }
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    const sub = rest[0];
    if (sub) {
      const c = await loadCommand(sub);
      if (!c) throw unknownCommand(sub, commandNames);
      await writeStdout(commandHelp(c));
    } else {
      await writeStdout(mainHelp(await loadAllCommands()));
    }
    return 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    await writeStdout(`btfkit ${version()}\n`);
    return 0;
  }
  const cmd = name === 'default' ? null : await loadCommand(name!);
  if (!cmd) throw unknownCommand(name!, commandNames);
  if (rest.includes('--help') || rest.includes('-h')) {
    await writeStdout(commandHelp(cmd));
    return 0;
  }
  const parsed = parseCommandArgs(cmd, rest);
  return cmd.run(parsed.positionals, parsed.values);
}

/** Runs the command line of `process.argv` with `registry`'s commands, then ends the process. */
export function runCli(registry: CommandRegistry): void {
  main(process.argv.slice(2), registry).then(
    (code) => {
      process.exitCode = code;
      // Output is written (every write was awaited): end now, without tearing the heap down
      // or waiting for V8's background compile jobs (a few ms of a one-shot command).
      process.exit(code);
    },
    (e: unknown) => {
      if (e instanceof UsageError) {
        process.stderr.write(`btfkit: ${e.message}\n`);
        process.exitCode = 2;
      } else if (e instanceof BtfkitError) {
        process.stderr.write(`btfkit: ${e.describe()}\n`);
        process.exitCode = 1;
      } else {
        const err = e as Error;
        process.stderr.write(`btfkit: internal error: ${err?.message ?? String(e)}\n`);
        if (process.env.BTFKIT_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
        process.exitCode = 1;
      }
    },
  );
}

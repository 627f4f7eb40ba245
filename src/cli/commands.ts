/** The registry of btfkit commands, in the order `btfkit --help` lists them. */

import type { Command } from './command.js';
import { defaultCommand, infoCommand } from './info.js';
import { dumpCommand } from './dump.js';
import { elfCommand } from './elf.js';
import { distillCommand } from './distill.js';
import { relocateCommand } from './relocate.js';
import { resolveBtfIdsCommand } from './btfids.js';
import { checkCommand } from './check.js';
import { loadCheckCommand } from './loadcheck.js';

export const commands: Command[] = [
  checkCommand,
  loadCheckCommand,
  distillCommand,
  relocateCommand,
  resolveBtfIdsCommand,
  dumpCommand,
  infoCommand,
  elfCommand,
  defaultCommand,
];

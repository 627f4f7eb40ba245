#!/usr/bin/env node
/**
 * `btfkit` command-line entry point: every command (commands.ts), run by run.ts.
 */

import { allCommands } from './commands.js';
import { runCli } from './run.js';

runCli(allCommands);

/** `btfkit diff OLD NEW [TYPE...]` (placeholder, filled in below). */
import { type Command } from './command.js';
export const diffCommand: Command = { name: 'diff', summary: 'what changed between two BTFs', usage: 'Usage: btfkit diff OLD NEW [TYPE...]', options: {}, async run() { return 2; } };

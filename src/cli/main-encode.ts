/**
 * `btfkit encode` alone: the entry point of the second bundle (scripts/bundle.ts), which the
 * launcher runs for `btfkit encode ...`. A module's encode is a one-shot process whose
 * target is pahole's whole-process time: loading and deserializing the code of every other
 * command (the full bundle's V8 code cache is 1.2 MB) cost it ~4 ms.
 */

import { registryOf } from './command.js';
import { runCli } from './run.js';

runCli(registryOf({ encode: async () => (await import('./encode.js')).encodeCommand }));

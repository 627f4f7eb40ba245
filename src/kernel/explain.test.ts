/**
 * Issue 15 in the library: the root-first explanation of a struct change (nested structs
 * opened, moved fields collapsed), the kernel configuration parser and IKCONFIG finder, the
 * fate of a module, and the kernel's log per CONFIG_MODULE_ALLOW_BTF_MISMATCH.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { Btf } from '../model/btf.js';
import { explainCompositeDiff } from './structdiff.js';
import { btfOptions, findEmbeddedConfig, looksLikeKconfig, parseKconfig } from './kconfig.js';
import { moduleFate, formatCheckResult, isProblem, type ModuleCheckResult } from './check.js';
import { kernelLogFor, type LoadEmulationResult } from './load.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/kconfig/', import.meta.url));

/** A kernel where struct device has `extra` more bytes (a `flags` field) and struct outer embeds it. */
function kernel(grown: boolean): { btf: Btf; outer: number } {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const ulong = b.addInt('long unsigned int', 8, 0);
  const dev = b.addStruct('device', grown ? 24 : 16);
  b.addField('a', ulong, 0);
  b.addField('b', int, 64);
  if (grown) b.addField('flags', ulong, 128);
  const outer = b.addStruct('outer', grown ? 48 : 40);
  b.addField('head', int, 0);
  b.addField('dev', dev, 64);
  const d = grown ? 64 : 0;
  b.addField('x', int, 192 + d);
  b.addField('y', int, 224 + d);
  b.addField('z', ulong, 256 + d);
  return { btf: b, outer };
}

test('explainCompositeDiff: root change first, nested struct opened, later moves in one line', () => {
  const o = kernel(false);
  const n = kernel(true);
  assert.deepEqual(explainCompositeDiff(o.btf, o.outer, n.btf, n.outer), [
    '~ dev: struct device, 16 bytes -> 24 bytes',
    '    + long unsigned int flags (offset 16, 8 bytes)',
    '~ 3 later fields moved by +8 bytes (x … z)',
  ]);
  // Same struct: nothing to say.
  assert.deepEqual(explainCompositeDiff(o.btf, o.outer, o.btf, o.outer), []);
});

test('formatCheckResult: a few change lines by default, all with maxChanges Infinity', () => {
  const changes = ['a', 'b', 'c', 'd', 'e', 'f'];
  const r: ModuleCheckResult = {
    module: 'm.ko', kernel: 'K', status: 'failed', btfAccepted: false, fate: 'loads-without-btf',
    reasons: [{ type: 'struct s', kind: 'STRUCT', problem: 'size', detail: 'struct s: 1 bytes when built, 2 in K', changes }],
  };
  assert.equal(formatCheckResult(r), [
    'm.ko on K: BTF REJECTED; loads without BTF (CONFIG_MODULE_ALLOW_BTF_MISMATCH=y)',
    '  - struct s: 1 bytes when built, 2 in K',
    '      a', '      b', '      c', '      d',
    '      (2 more lines; --verbose shows all)',
  ].join('\n'));
  assert.equal(formatCheckResult(r, { maxChanges: Infinity }).split('\n').length, 8);
  assert.equal(isProblem(r), true);
  assert.equal(isProblem({ ...r, status: 'no-btf' }), false);
});

test('moduleFate: btf_module_notify of Linux 6.12', () => {
  assert.equal(moduleFate(true, false), 'loads-with-btf');
  assert.equal(moduleFate(true, null), 'loads-with-btf');
  assert.equal(moduleFate(false, true), 'loads-without-btf');
  assert.equal(moduleFate(false, false), 'refused');
  assert.equal(moduleFate(false, null), 'refused-or-loads-without-btf');
  assert.equal(moduleFate(null, false), 'loads-without-btf'); // no BTF at all
});

test('kernel configuration: Debian excerpts, "is not set", IKCONFIG markers', () => {
  for (const v of ['6.1.0-55-amd64', '6.12.118+deb12-amd64']) {
    const text = readFileSync(join(FIXTURES, `config-${v}`), 'utf8');
    assert.ok(looksLikeKconfig(text));
    assert.deepEqual(btfOptions(text), { allowBtfMismatch: true, btfModules: true });
  }
  const off = '# CONFIG_MODULE_ALLOW_BTF_MISMATCH is not set\nCONFIG_DEBUG_INFO_BTF_MODULES=y\n';
  assert.deepEqual(btfOptions(off), { allowBtfMismatch: false, btfModules: true });
  assert.equal(parseKconfig('CONFIG_A="x y"\n# CONFIG_B is not set\n').get('CONFIG_A'), '"x y"');
  assert.equal(looksLikeKconfig('\x7fELF binary'), false);
  const enc = new TextEncoder();
  const gz = gzipSync(enc.encode(off));
  const image = new Uint8Array(64 + gz.length + 16);
  image.set(enc.encode('IKCFG_ST'), 4); // a marker not followed by gzip: skipped
  image.set(enc.encode('IKCFG_ST'), 32);
  image.set(gz, 40);
  image.set(enc.encode('IKCFG_ED'), 40 + gz.length);
  const found = findEmbeddedConfig(image)!;
  assert.equal(new TextDecoder().decode(gunzipSync(found)), off);
  assert.equal(findEmbeddedConfig(enc.encode('no config here')), null);
});

test('kernelLogFor: the messages of each configuration', () => {
  const base: LoadEmulationResult = {
    loadsWithBtf: false, kernelLog: [], errno: 22, moduleBtf: null, idMap: null, btfIds: null, kfuncSets: [],
    relocationFailure: null, mismatch: [], verifierLog: ['BPF: [5] STRUCT s size=4 vlen=1', 'BPF: Invalid name'], verifierSection: '.BTF', verifierStage: 'types',
  };
  assert.deepEqual(kernelLogFor(base, 'm', false), ['BPF: [5] STRUCT s size=4 vlen=1', 'BPF: Invalid name', 'failed to validate module [m] BTF: -22']);
  // With mismatches permitted the kernel skips the type-level log of module BTF.
  assert.deepEqual(kernelLogFor(base, 'm', true), ['Kernel module BTF mismatch detected, BTF debug info may be unavailable for some modules']);
  // A header problem is still logged.
  const hdr = { ...base, verifierLog: ['BPF: Invalid magic'], verifierStage: 'header' };
  assert.deepEqual(kernelLogFor(hdr, 'm', true), ['BPF: Invalid magic', 'Kernel module BTF mismatch detected, BTF debug info may be unavailable for some modules']);
});

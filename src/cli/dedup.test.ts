/**
 * `btfkit dedup` and `btfkit merge` as users run them (the bundled launcher): outputs equal
 * libbpf v1.7.0's bytes on golden cases (raw and ELF inputs, with and without --base), and bad
 * input gives one line on stderr, exit 1 and no output file; usage mistakes exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serializeBtf } from '../format/write.js';
import { buildElf } from '../elf/synth.js';
import { builderCases } from '../split/dedup/cases.test-util.js';
import { headerCases } from '../split/dedup/edge-cases.test-util.js';

const REPO = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const MAIN = join(REPO, 'dist', 'src', 'cli', 'launcher.cjs');
const expected = JSON.parse(readFileSync(join(REPO, 'test/golden/dedup/expected.json'), 'utf8')) as Record<string, { out: string | null }>;

function btfkit(args: string[]): { code: number; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stderr: r.stderr };
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'btfkit-dedup-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('btfkit dedup / merge write libbpf v1.7.0 bytes (raw inputs, --base)', () => {
  withDir((dir) => {
    for (const name of ['split: fwd resolve', 'merge: kernel-like, two variants', 'merge: modules on a base', 'dedup: kernel-like']) {
      const c = builderCases().find((x) => x.name === name)!;
      const b = c.build();
      const args: string[] = [c.op];
      b.inputs.forEach((x, i) => {
        writeFileSync(join(dir, `in${i}`), serializeBtf(x));
        args.push(join(dir, `in${i}`));
      });
      if (b.base) {
        writeFileSync(join(dir, 'base'), serializeBtf(b.base));
        args.push('--base', join(dir, 'base'));
      }
      args.push('-o', join(dir, 'out'));
      const r = btfkit(args);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(Buffer.from(readFileSync(join(dir, 'out'))).toString('hex'), expected[name]!.out, name);
    }
  });
});

test('btfkit merge reads ELF inputs (.BTF section)', () => {
  withDir((dir) => {
    const c = builderCases().find((x) => x.name === 'merge: kernel-like twice')!;
    const [a, b] = c.build().inputs;
    const elf = (btf: Uint8Array): Uint8Array => buildElf({ class: 64, littleEndian: true, sections: [{ name: '.BTF', type: 1, data: btf }] }).bytes;
    writeFileSync(join(dir, 'a.o'), elf(serializeBtf(a!)));
    writeFileSync(join(dir, 'b.o'), elf(serializeBtf(b!)));
    const r = btfkit(['merge', join(dir, 'a.o'), join(dir, 'b.o'), '-o', join(dir, 'out')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(Buffer.from(readFileSync(join(dir, 'out'))).toString('hex'), expected['merge: kernel-like twice']!.out);
  });
});

test('btfkit dedup keeps the input header as libbpf v1.7.0 does (version, flags, hdr_len, type_off, both byte orders)', () => {
  withDir((dir) => {
    for (const c of headerCases()) {
      writeFileSync(join(dir, 'in'), c.bytes());
      const r = btfkit(['dedup', join(dir, 'in'), '-o', join(dir, 'out')]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(Buffer.from(readFileSync(join(dir, 'out'))).toString('hex'), expected[c.name]!.out, c.name);
    }
  });
});

test('btfkit merge: a type-less first input fails as in libbpf (one line, exit 1, nothing written); later it is a no-op', () => {
  withDir((dir) => {
    const empty = new Uint8Array([0x9f, 0xeb, 1, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    writeFileSync(join(dir, 'empty'), empty);
    const k = builderCases().find((x) => x.name === 'dedup: kernel-like')!.build().inputs[0]!;
    writeFileSync(join(dir, 'k'), serializeBtf(k));
    const r = btfkit(['merge', join(dir, 'empty'), join(dir, 'k'), '-o', join(dir, 'out')]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /Cannot allocate memory/);
    assert.ok(!existsSync(join(dir, 'out')));
    const r2 = btfkit(['merge', join(dir, 'k'), join(dir, 'empty'), '-o', join(dir, 'out')]);
    assert.equal(r2.code, 0, r2.stderr);
    const r3 = btfkit(['dedup', join(dir, 'k'), '-o', join(dir, 'out2')]);
    assert.equal(r3.code, 0, r3.stderr);
    assert.deepEqual(readFileSync(join(dir, 'out')), readFileSync(join(dir, 'out2')));
  });
});

test('btfkit dedup/merge: bad input is one line, exit 1, nothing written; usage exits 2', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'junk'), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    const c = builderCases().find((x) => x.name === 'split: simple')!;
    const b = c.build();
    writeFileSync(join(dir, 'split'), serializeBtf(b.inputs[0]!));
    for (const args of [
      ['dedup', join(dir, 'junk'), '-o', join(dir, 'out')],
      ['merge', join(dir, 'junk'), '-o', join(dir, 'out')],
      ['dedup', join(dir, 'missing'), '-o', join(dir, 'out')],
      // split BTF without its base: its ids and strings point outside it
      ['merge', join(dir, 'split'), '-o', join(dir, 'out')],
    ]) {
      const r = btfkit(args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(!existsSync(join(dir, 'out')), 'no output written');
      assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('out')), []);
    }
    assert.equal(btfkit(['dedup', join(dir, 'split')]).code, 2);
    assert.equal(btfkit(['merge', '-o', join(dir, 'out')]).code, 2);
  });
});

/** Which kernels to fetch from what the archive offers; config lookups. */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { configHas, pickKernels, WANTED_KERNELS } from './fetch.js';

const line = (v: string): string => `linux-image-${v}-unsigned - Linux 6.12 for 64-bit PCs`;

test('pickKernels: the wanted pair when both are offered', () => {
  const out = [line('6.12.101+deb12-amd64'), line(WANTED_KERNELS[0]), line(WANTED_KERNELS[1]), line('6.12.120+deb12-amd64')].join('\n');
  assert.deepEqual(pickKernels(out, WANTED_KERNELS), { kernels: [...WANTED_KERNELS], substituted: false });
});

test('pickKernels: oldest and newest 6.12 amd64 builds (numeric order) when one is gone', () => {
  const out = [
    line('6.12.99+deb12-amd64'),
    line('6.12.118+deb12-amd64'),
    line('6.12.130+deb12-amd64'),
    'linux-image-6.12.90+deb12-cloud-amd64-unsigned - Linux 6.12 for x86-64 cloud',
    'linux-image-6.12.80+deb12-amd64 - Linux 6.12 for 64-bit PCs (signed)',
    line('6.1.0-47-amd64'),
  ].join('\n');
  assert.deepEqual(pickKernels(out, WANTED_KERNELS), { kernels: ['6.12.99+deb12-amd64', '6.12.130+deb12-amd64'], substituted: true });
});

test('pickKernels: null when fewer than two builds are offered', () => {
  assert.equal(pickKernels(line('6.12.118+deb12-amd64'), WANTED_KERNELS), null);
  assert.equal(pickKernels('', WANTED_KERNELS), null);
});

test('configHas: only an exact =y line', () => {
  const cfg = 'CONFIG_MODULE_ALLOW_BTF_MISMATCH=y\n# CONFIG_FOO is not set\nCONFIG_BAR=m\nCONFIG_MODULE_ALLOW_BTF_MISMATCH_X=y\n';
  assert.equal(configHas(cfg, 'CONFIG_MODULE_ALLOW_BTF_MISMATCH'), true);
  assert.equal(configHas(cfg, 'CONFIG_FOO'), false);
  assert.equal(configHas(cfg, 'CONFIG_BAR'), false);
  assert.equal(configHas('CONFIG_MODULE_ALLOW_BTF_MISMATCH_X=y\n', 'CONFIG_MODULE_ALLOW_BTF_MISMATCH'), false);
});

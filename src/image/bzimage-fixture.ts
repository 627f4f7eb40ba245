/**
 * Test helper: builds a fake x86 bzImage around a compressed payload, laid out like
 * arch/x86/boot/header.S does — boot sector + setup sectors with the "HdrS" setup header at
 * 0x1f1.., then the protected-mode part holding the payload followed by the decompressed
 * size (LE32, as the kernel's size_append writes it). Pure; used by the image and node tests.
 */

export interface FakeBzImageOptions {
  /** setup_sects (default 3; 0 means 4 as in real kernels). */
  setupSects?: number;
  /** Boot protocol version (default 0x020f); below 0x0208 there are no payload fields. */
  protocol?: number;
  /** Bytes placed before the payload in the protected-mode part (default 300 bytes of 0x90). */
  before?: Uint8Array;
  /** Bytes placed after the payload + size (default 200 bytes of 0xcc). */
  after?: Uint8Array;
  /** Decompressed size appended after the payload (default: none when undefined). */
  decompressedSize?: number;
  kernelVersion?: string;
}

export function makeFakeBzImage(payload: Uint8Array, opts: FakeBzImageOptions = {}): { image: Uint8Array; payloadOffset: number; payloadLength: number } {
  const setupSects = opts.setupSects ?? 3;
  const protocol = opts.protocol ?? 0x020f;
  const before = opts.before ?? new Uint8Array(300).fill(0x90);
  const after = opts.after ?? new Uint8Array(200).fill(0xcc);
  const setupSize = ((setupSects === 0 ? 4 : setupSects) + 1) * 512;
  const trailer = opts.decompressedSize !== undefined ? 4 : 0;
  const payloadLength = payload.length + trailer;
  const image = new Uint8Array(setupSize + before.length + payloadLength + after.length);
  const dv = new DataView(image.buffer);
  image[0] = 0x4d; // "MZ" as an EFI-stub kernel
  image[1] = 0x5a;
  image[0x1f1] = setupSects;
  dv.setUint16(0x1fe, 0xaa55, true);
  image.set([0x48, 0x64, 0x72, 0x53], 0x202); // HdrS
  dv.setUint16(0x206, protocol, true);
  if (opts.kernelVersion !== undefined) {
    const at = 0x300;
    dv.setUint16(0x20e, at - 0x200, true);
    for (let i = 0; i < opts.kernelVersion.length; i++) image[at + i] = opts.kernelVersion.charCodeAt(i);
  }
  const payloadOffset = setupSize + before.length;
  if (protocol >= 0x0208) {
    dv.setUint32(0x248, before.length, true);
    dv.setUint32(0x24c, payloadLength, true);
  }
  image.set(before, setupSize);
  image.set(payload, payloadOffset);
  if (opts.decompressedSize !== undefined) dv.setUint32(payloadOffset + payload.length, opts.decompressedSize, true);
  image.set(after, payloadOffset + payloadLength);
  return { image, payloadOffset, payloadLength };
}

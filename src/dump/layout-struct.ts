/**
 * One struct as pahole's __class__fprintf prints it (dwarves_fprintf.c, v1.31): the member
 * loop with its comment lines (holes, bit holes, "Bitfield combined ...", explicit unnamed
 * bitfields for bit holes, "XXX last struct has ..." for members whose struct type has holes,
 * padding or flexible arrays), then the statistics block and the closing attributes.
 *
 * Approach: a writer object holding the loop state pahole keeps in locals (the pending-newline
 * counter, the running sums, the member-types-holes tallies); member lines and declarations
 * come from LayoutPrinter, layout facts from LayoutModel.
 */

import { KindId as Kind } from '../format/kinds.js';
import { CACHELINE_SIZE, type LayoutClass, type LayoutMember, type LayoutModel } from './layout-model.js';
import type { LayoutPrinter } from './layout.js';
import { type Conf, tabs, plural } from './layout-text.js';

interface MemberTypesHoles {
  nrPaddings: number;
  nrWithBitPaddings: number;
  nrWithHoles: number;
  nrWithBitHoles: number;
  totalNrHoles: number;
  totalNrBitHoles: number;
  nrFlex: number;
  nrEmbeddedFlex: number;
  sumPaddings: number;
  sumBitPaddings: number;
}

/** One run of pahole's __class__fprintf for a struct (state of the member loop). */
export class StructWriter {
  private out = '';
  private newline = 0;
  private readonly holes: MemberTypesHoles = {
    nrPaddings: 0, nrWithBitPaddings: 0, nrWithHoles: 0, nrWithBitHoles: 0, totalNrHoles: 0,
    totalNrBitHoles: 0, nrFlex: 0, nrEmbeddedFlex: 0, sumPaddings: 0, sumBitPaddings: 0,
  };

  constructor(private p: LayoutPrinter, private m: LayoutModel, private id: number, private conf: Conf) {}

  /** "\n" once before a run of comment lines (pahole's newline counter). */
  private nl(): void {
    if (this.newline++ === 0) this.out += '\n';
  }

  write(): string {
    const { m, id, conf } = this;
    const name = m.name(id);
    this.out = `${conf.prefix ?? ''}${conf.prefix !== null ? ' ' : ''}struct${name !== null ? ' ' : ''}${name ?? ''}`;
    const indent = Math.min(conf.indent, 16);
    const cconf: Conf = { ...conf, indent: indent + 1 };
    if (cconf.cacheline === null) cconf.cacheline = { v: 0 };
    m.inferPacked(id);
    const c = m.cls(id);
    const t = tabs(cconf.indent);
    this.out += ' {\n';
    let sumBitHoles = 0;
    let sumHoles = 0;
    if (c.preBitHole > 0) {
      this.nl();
      this.out += `${t}/* XXX ${plural(c.preBitHole, 'bit')} hole, try to pack */\n`;
      sumBitHoles += c.preBitHole;
    }
    if (c.preHole > 0) {
      this.nl();
      this.out += `${t}/* XXX ${plural(c.preHole, 'byte')} hole, try to pack */\n`;
      sumHoles += c.preHole;
    }
    let nrForced = 0;
    let nrForcedHoles = 0;
    let sumForcedHoles = 0;
    let sumBytes = 0;
    let sumBits = 0;
    let lastSize = 0;
    let last: LayoutMember | null = null;
    const members = c.members;
    for (let i = 0; i < members.length; i++) {
      const pos = members[i]!;
      if (pos.alignment !== 0) {
        const forcedHole = last ? last.hole : c.preHole;
        if (forcedHole !== 0) {
          nrForcedHoles++;
          sumForcedHoles += forcedHole;
        }
        nrForced++;
      }
      if (last !== null && lastSize !== 0) {
        if (last.bitHole !== 0 && pos.bitfieldSize) {
          let bfSize = last.bitHole;
          if (!m.exists(pos.type)) {
            this.out += t + `<ERROR: type ${pos.type} not found!>\n`;
            last = pos;
            continue;
          }
          if (last.byteOffset !== pos.byteOffset) {
            this.out += `\n${t}/* Force alignment to the next boundary: */\n`;
            bfSize = 0;
          }
          this.out += t + this.p.declFor(pos.type, '', cconf) + `:${bfSize};\n`;
        }
        if (pos.byteOffset < last.byteOffset || (pos.byteOffset === last.byteOffset && last.bitfieldSize === 0 && pos.bitfieldSize !== 0)) {
          this.nl();
          this.out += `${t}/* Bitfield combined with previous fields */\n`;
        } else {
          const cc = pos.byteOffset - last.byteOffset;
          if (cc > 0 && cc < lastSize) {
            this.nl();
            this.out += `${t}/* Bitfield combined with next fields */\n`;
          }
        }
      }
      if (this.newline) {
        this.out += '\n';
        this.newline = 0;
      }
      if (!m.exists(pos.type)) {
        this.out += t + `<ERROR: type ${pos.type} not found!>\n`;
        last = pos;
        continue;
      }
      cconf.lastMember = i === members.length - 1;
      cconf.firstMember = last === null;
      const size = pos.byteSize;
      this.out += t + this.p.memberLine(pos, pos.type, cconf);
      if (m.isStruct(pos.type)) this.memberTypeHoles(pos.type, cconf);
      if (pos.bitHole !== 0) {
        this.nl();
        this.out += `\n${t}/* XXX ${plural(pos.bitHole, 'bit')} hole, try to pack */`;
        sumBitHoles += pos.bitHole;
      }
      if (pos.hole > 0) {
        this.nl();
        this.out += `\n${t}/* XXX ${plural(pos.hole, 'byte')} hole, try to pack */`;
        sumHoles += pos.hole;
      }
      this.out += '\n';
      if (pos.bitfieldSize) sumBits += pos.bitfieldSize;
      else sumBytes += size;
      if (last === null || lastSize === 0 || last.byteOffset !== pos.byteOffset) lastSize = size;
      else if (last.bitfieldSize === 0 && pos.bitfieldSize !== 0) lastSize = size;
      last = pos;
    }
    if (cconf.emitStats) {
      this.stats(c, cconf, { sumBytes, sumBits, sumHoles, sumBitHoles, nrForced, nrForcedHoles, sumForcedHoles });
    }
    this.out += `${tabs(indent)}}`;
    if (c.isPacked) this.out += ' __attribute__((__packed__))';
    if (cconf.suffix !== null) this.out += ` ${cconf.suffix}`;
    if (c.alignment !== 0 && !c.isPacked) this.out += ` __attribute__((__aligned__(${c.alignment})))`;
    return this.out;
  }

  /** class__fprintf_member_type_holes. */
  private memberTypeHoles(type: number, conf: Conf): void {
    const m = this.m;
    const tc = m.cls(type);
    m.inferPacked(type);
    const hasFlex = m.hasFlexibleArray(type);
    const hasEmb = m.hasEmbeddedFlexibleArray(type);
    if (!tc.padding && !tc.bitPadding && !tc.nrHoles && !tc.nrBitHoles && !hasFlex && !hasEmb) return;
    this.nl();
    const h = this.holes;
    const parts: string[] = [];
    if (hasFlex) {
      parts.push(' a flexible array');
      h.nrFlex++;
    }
    if (hasEmb) {
      parts.push(`${parts.length ? ',' : ''} embedded flexible array(s)`);
      h.nrEmbeddedFlex++;
    }
    if (tc.padding) {
      h.nrPaddings++;
      h.sumPaddings += tc.padding;
      parts.push(`${parts.length ? ',' : ''} ${plural(tc.padding, 'byte')} of padding`);
    }
    if (tc.bitPadding) {
      h.nrWithBitPaddings++;
      h.sumBitPaddings += tc.bitPadding;
      parts.push(`${parts.length ? ',' : ''} ${plural(tc.bitPadding, 'bit')} of padding`);
    }
    if (tc.nrHoles) {
      h.nrWithHoles++;
      h.totalNrHoles += tc.nrHoles;
      parts.push(`${parts.length ? ',' : ''} ${plural(tc.nrHoles, 'hole')}`);
    }
    if (tc.nrBitHoles) {
      h.nrWithBitHoles++;
      h.totalNrBitHoles += tc.nrBitHoles;
      parts.push(`${parts.length ? ',' : ''} ${tc.nrBitHoles} bit hole${tc.nrBitHoles !== 1 ? 's' : ''}`);
    }
    this.out += `\n${tabs(conf.indent)}/* XXX last struct has${parts.join('')} */`;
  }

  private stats(
    c: LayoutClass,
    cconf: Conf,
    s: { sumBytes: number; sumBits: number; sumHoles: number; sumBitHoles: number; nrForced: number; nrForcedHoles: number; sumForcedHoles: number },
  ): void {
    const m = this.m;
    const t = tabs(cconf.indent);
    const btf = m.btf;
    const size = btf.kind(c.id) === Kind.FWD ? 0 : btf.size(c.id);
    const nrMembers = c.members.length;
    const lines = Math.floor((m.size(c.id) + CACHELINE_SIZE - 1) / CACHELINE_SIZE);
    let o = `\n${t}/* size: ${size}, cachelines: ${lines}, members: ${nrMembers} */\n`;
    if (s.sumHoles > 0 || s.sumBitHoles > 0) {
      if (s.sumBytes > 0) {
        o += `${t}/* sum members: ${s.sumBytes}`;
        if (s.sumHoles > 0) o += `, holes: ${c.nrHoles}, sum holes: ${s.sumHoles}`;
        o += ' */\n';
      }
      if (s.sumBits > 0) {
        o += `${t}/* sum bitfield members: ${s.sumBits} bits`;
        if (s.sumBitHoles > 0) o += `, bit holes: ${c.nrBitHoles}, sum bit holes: ${s.sumBitHoles} bits`;
        else o += ` (${Math.floor(s.sumBits / 8)} bytes)`;
        o += ' */\n';
      }
    }
    if (c.padding > 0) o += `${t}/* padding: ${c.padding} */\n`;
    const h = this.holes;
    if (h.nrWithHoles > 0 || h.nrWithBitHoles > 0 || h.nrWithBitPaddings > 0) {
      const parts: string[] = [];
      if (h.nrWithHoles > 0) parts.push(`holes: ${h.nrWithHoles}, total: ${h.totalNrHoles}`);
      if (h.nrWithBitHoles > 0) parts.push(`bit holes: ${h.nrWithBitHoles}, total: ${h.totalNrBitHoles}`);
      if (h.nrWithBitPaddings > 0) parts.push(`bit paddings: ${h.nrWithBitPaddings}, total: ${h.sumBitPaddings} bit${h.sumBitPaddings > 1 ? 's' : ''}`);
      o += `${t}/* member types with ${parts.join(', ')} */\n`;
    }
    if (h.nrPaddings > 0) o += `${t}/* paddings: ${h.nrPaddings}, sum paddings: ${h.sumPaddings} */\n`;
    if (c.bitPadding > 0) o += `${t}/* bit_padding: ${c.bitPadding} bits */\n`;
    if (s.nrForced !== 0) {
      o += `${t}/* forced alignments: ${s.nrForced}`;
      if (s.nrForcedHoles !== 0) o += `, forced holes: ${s.nrForcedHoles}, sum forced holes: ${s.sumForcedHoles}`;
      o += ' */\n';
    }
    if (h.nrFlex > 0 || h.nrEmbeddedFlex > 0) {
      o += `${t}/* flexible array members: `;
      if (h.nrFlex > 0) o += `end: ${h.nrFlex}`;
      if (h.nrEmbeddedFlex > 0) o += `${h.nrFlex ? ', ' : ''}middle: ${h.nrEmbeddedFlex}`;
      o += ' */\n';
    }
    const lastLine = (cconf.baseOffset + size) % CACHELINE_SIZE;
    if (lastLine !== 0) o += `${t}/* last cacheline: ${lastLine} bytes */\n`;
    const diff = size * 8 - (s.sumBytes * 8 + s.sumBits + s.sumHoles * 8 + s.sumBitHoles + c.padding * 8 + c.bitPadding);
    if (diff && nrMembers !== 0) {
      o += `\n${t}/* BRAIN FART ALERT! ${size} bytes != ${s.sumBytes} (member bytes) + ${s.sumBits} (member bits) + ${s.sumHoles} (byte holes) + ${s.sumBitHoles} (bit holes), diff = ${diff} bits */\n`;
    }
    this.out += o;
  }
}

/**
 * The struct reader against koffi.decode itself, on the structs the DPU
 * returns in arrays: both must give the same value for every member, with
 * random integers (64-bit ones below and beyond 2^53) and strings of every
 * length up to the array's, unterminated included.
 */
import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import { structArrayReader } from '../../src/native/struct-reader.js';
import { FnInfo, QueueCounters, QueueDebug } from '../../src/native/types.js';

/** A deterministic generator, so that a failure repeats. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Member {
  offset: number;
  type: { primitive: string; size: number; length?: number; hint?: string };
}

/** `n` structs of random content; char arrays get printable text with a NUL at a random place or none. */
function fill(type: koffi.TypeObject, n: number, rnd: () => number): Buffer {
  const info = koffi.type(type) as unknown as { size: number; members: Record<string, Member> };
  const buf = Buffer.alloc(info.size * n);
  for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(rnd() * 256);
  for (let e = 0; e < n; e++) {
    for (const m of Object.values(info.members)) {
      const at = e * info.size + m.offset;
      if (m.type.primitive === 'Array' && m.type.hint === 'String') {
        const len = m.type.length!;
        for (let i = 0; i < len; i++) buf[at + i] = 0x20 + Math.floor(rnd() * 95);
        const nul = Math.floor(rnd() * (len + 1));
        if (nul < len) buf[at + nul] = 0;
      } else if (m.type.primitive === 'UInt64' && rnd() < 0.5) {
        buf.writeUInt32LE(Math.floor(rnd() * 0x200000), at + 4); // below 2^53: a number
      }
    }
  }
  return buf;
}

describe('structArrayReader', () => {
  for (const [name, type, n] of [
    ['vnet_fn_info', FnInfo, 40],
    ['vnet_queue_counters', QueueCounters, 200],
    ['vnet_queue_debug', QueueDebug, 20],
  ] as const) {
    it(`reads ${name} as koffi.decode does`, () => {
      const rnd = random(name.length);
      const size = koffi.sizeof(type);
      const buf = fill(type, n, rnd);
      const read = structArrayReader<Record<string, unknown>>(type)(buf, n);
      expect(read).toHaveLength(n);
      for (let i = 0; i < n; i++) {
        const want = koffi.decode(buf, i * size, type) as Record<string, unknown>;
        for (const key of Object.keys(want)) {
          const w = want[key];
          expect(read[i]![key], `${name}[${i}].${key}`).toEqual(ArrayBuffer.isView(w) ? [...(w as Uint8Array)] : w);
        }
      }
    });
  }

  it('refuses to read past the buffer', () => {
    expect(() => structArrayReader(QueueCounters)(Buffer.alloc(koffi.sizeof(QueueCounters)), 2)).toThrow(RangeError);
  });
});

/** The pcap writer byte for byte (tshark reads the real captures in e2e/src/debug.e2e.test.ts). */
import { describe, expect, it } from 'vitest';
import { pcapFile, pcapHeader, pcapRecord } from '../../../src/debug/pcap.js';

describe('pcap', () => {
  it('writes the global header of a nanosecond Ethernet capture', () => {
    expect(pcapHeader().toString('hex')).toBe('4d3cb2a1' + '0200' + '0400' + '00000000' + '00000000' + 'ffff0000' + '01000000');
  });

  it('writes a record with seconds and nanoseconds, the kept and the wire length', () => {
    const r = pcapRecord({ atNs: 1_700_000_000_123_456_789n, origLen: 1514, data: Buffer.from('abcd') });
    expect(r.readUInt32LE(0)).toBe(1_700_000_000);
    expect(r.readUInt32LE(4)).toBe(123_456_789);
    expect(r.readUInt32LE(8)).toBe(4);
    expect(r.readUInt32LE(12)).toBe(1514);
    expect(r.subarray(16).toString()).toBe('abcd');
  });

  it('never says a frame was shorter on the wire than what it kept', () => {
    expect(pcapRecord({ atNs: 0n, origLen: 2, data: Buffer.alloc(60) }).readUInt32LE(12)).toBe(60);
  });

  it('puts the frames after the header in order', () => {
    const f = pcapFile([
      { atNs: 1n, origLen: 1, data: Buffer.from('x') },
      { atNs: 2n, origLen: 1, data: Buffer.from('y') },
    ]);
    expect(f.length).toBe(24 + 17 + 17);
    expect(f.subarray(24 + 16, 24 + 17).toString()).toBe('x');
    expect(f.subarray(24 + 17 + 16).toString()).toBe('y');
  });
});

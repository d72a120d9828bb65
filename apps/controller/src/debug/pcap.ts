/**
 * The classic pcap file format (as libpcap writes it, and as tshark,
 * tcpdump and Wireshark read it): a 24-byte global header, then per frame
 * a 16-byte record header and the captured bytes. Nanosecond timestamps
 * (magic 0xa1b23c4d), Ethernet link type, little-endian.
 */

export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const LINKTYPE_ETHERNET = 1;
/** The largest frame a record may hold (a virtio-net frame is at most 65550 bytes with its header). */
export const PCAP_SNAPLEN = 65535;

export interface PcapFrame {
  /** Nanoseconds since the epoch. */
  atNs: bigint;
  /** The frame's length on the wire. */
  origLen: number;
  /** The bytes kept (at most the snap length). */
  data: Buffer;
}

export function pcapHeader(snaplen = PCAP_SNAPLEN): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(PCAP_MAGIC_NS, 0);
  h.writeUInt16LE(2, 4); // version 2.4
  h.writeUInt16LE(4, 6);
  h.writeInt32LE(0, 8); // thiszone
  h.writeUInt32LE(0, 12); // sigfigs
  h.writeUInt32LE(snaplen, 16);
  h.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  return h;
}

export function pcapRecord(f: PcapFrame): Buffer {
  const h = Buffer.alloc(16);
  const sec = f.atNs / 1_000_000_000n;
  h.writeUInt32LE(Number(sec & 0xffffffffn), 0);
  h.writeUInt32LE(Number(f.atNs - sec * 1_000_000_000n), 4);
  h.writeUInt32LE(f.data.length, 8);
  h.writeUInt32LE(Math.max(f.origLen, f.data.length), 12);
  return Buffer.concat([h, f.data]);
}

/** A whole file: the header and every frame in order. */
export function pcapFile(frames: PcapFrame[], snaplen = PCAP_SNAPLEN): Buffer {
  return Buffer.concat([pcapHeader(snaplen), ...frames.map(pcapRecord)]);
}

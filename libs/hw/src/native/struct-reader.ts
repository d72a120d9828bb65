/**
 * Arrays of C structs read straight out of a Buffer, for the calls that
 * return hundreds of them at once (the function list, the counters
 * snapshot, each read about once a second while a dashboard is open).
 * koffi.decode per element walks its type description every time: for 1605
 * queues that was most of the controller's CPU. This reads every member at
 * the offset koffi laid the struct out at, into the shape koffi.decode
 * gives (integers as numbers, a 64-bit one as a bigint only beyond 2^53,
 * char arrays as strings up to the first NUL, other arrays as arrays,
 * nested structs as objects), and its test checks both agree member by
 * member.
 */
import koffi, { type TypeObject } from 'koffi';

type Read = (buf: Buffer, at: number) => unknown;

interface TypeInfo {
  name: string;
  primitive: string;
  size: number;
  length?: number;
  hint?: string;
  ref?: TypeInfo;
  members?: Record<string, { name: string; type: TypeInfo; offset: number }>;
}

const TWO_32 = 2 ** 32;

function u64(buf: Buffer, at: number): number | bigint {
  const hi = buf.readUInt32LE(at + 4);
  // Below 2^53 a double holds it exactly, as koffi hands it back.
  return hi < 0x200000 ? hi * TWO_32 + buf.readUInt32LE(at) : buf.readBigUInt64LE(at);
}

function i64(buf: Buffer, at: number): number | bigint {
  const v = buf.readBigInt64LE(at);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function primitiveReader(t: TypeInfo): Read {
  switch (t.primitive) {
    case 'UInt8':
      return (b, at) => b.readUInt8(at);
    case 'Int8':
      return (b, at) => b.readInt8(at);
    case 'UInt16':
      return (b, at) => b.readUInt16LE(at);
    case 'Int16':
      return (b, at) => b.readInt16LE(at);
    case 'UInt32':
      return (b, at) => b.readUInt32LE(at);
    case 'Int32':
      return (b, at) => b.readInt32LE(at);
    case 'UInt64':
      return u64;
    case 'Int64':
      return i64;
    default:
      throw new Error(`struct reader: no reader for a member of type ${t.name} (${t.primitive})`);
  }
}

/** A nested struct, member by member (rarer than the top level: no compiled literal). */
function recordReader(t: TypeInfo): Read {
  const members = Object.values(t.members ?? {}).map((m) => ({ name: m.name, offset: m.offset, read: memberReader(m.type) }));
  return (b, at) => {
    const o: Record<string, unknown> = {};
    for (const m of members) o[m.name] = m.read(b, at + m.offset);
    return o;
  };
}

function memberReader(t: TypeInfo): Read {
  if (t.primitive === 'Record') return recordReader(t);
  if (t.primitive !== 'Array') return primitiveReader(t);
  const length = t.length ?? 0;
  const ref = t.ref!;
  if (t.hint === 'String' && ref.size === 1) {
    return (b, at) => {
      const end = b.indexOf(0, at);
      return b.toString('utf8', at, end < 0 || end > at + length ? at + length : end);
    };
  }
  const item = ref.primitive === 'Record' ? recordReader(ref) : primitiveReader(ref);
  const step = ref.size;
  return (b, at) => {
    const out = new Array<unknown>(length);
    for (let i = 0; i < length; i++) out[i] = item(b, at + i * step);
    return out;
  };
}

/**
 * A reader of `n` consecutive `type` structs from the start of a buffer. The
 * loop is compiled once per struct into one object literal with every
 * member, so that each element gets the same hidden class and each member's
 * read is a call site of its own (a loop storing members by name would be
 * several times slower). The names and offsets come from our own struct
 * definitions, never from the buffer.
 */
export function structArrayReader<T>(type: TypeObject): (buf: Buffer, n: number) => T[] {
  const info = koffi.type(type) as unknown as TypeInfo;
  if (info.primitive !== 'Record' || !info.members) throw new Error(`struct reader: ${info.name} is not a struct`);
  const members = Object.values(info.members);
  const readers = members.map((m) => memberReader(m.type));
  const fields = members.map((m, i) => `${JSON.stringify(m.name)}: r[${i}](b, at + ${m.offset})`).join(', ');
  const size = info.size;
  const body = `const out = new Array(n); for (let i = 0, at = 0; i < n; i++, at += ${size}) out[i] = { ${fields} }; return out;`;
  const decode = new Function('r', 'b', 'n', body) as (r: Read[], b: Buffer, n: number) => T[];
  return (buf, n) => {
    if (!Number.isInteger(n) || n < 0 || n * size > buf.length) throw new RangeError(`struct reader: ${n} x ${info.name} (${size} bytes) exceed a buffer of ${buf.length}`);
    return decode(readers, buf, n);
  };
}

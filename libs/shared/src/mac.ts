/** MAC address helpers. The canonical form is upper-case, colon separated. */
export const MAC_PATTERN = /^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$/;

export function isMacString(text: string): boolean {
  return MAC_PATTERN.test(text);
}

export function macToBytes(text: string): number[] {
  if (!isMacString(text)) throw new Error(`malformed MAC address '${text}'`);
  return text.split(/[:-]/).map((h) => parseInt(h, 16));
}

export function bytesToMac(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

export function normalizeMac(text: string): string {
  return bytesToMac(macToBytes(text));
}

/** A device MAC must be unicast (I/G bit clear) and not all zeros. */
export function isUnicastMac(text: string): boolean {
  const b = macToBytes(text);
  return (b[0]! & 1) === 0 && b.some((x) => x !== 0);
}

/** base + offset, carrying across all 48 bits (mac_base of virtnet.conf). */
export function macAdd(base: string, offset: number): string {
  const v = BigInt('0x' + macToBytes(base).map((b) => b.toString(16).padStart(2, '0')).join(''));
  const n = (v + BigInt(offset)) & 0xffffffffffffn;
  const hex = n.toString(16).padStart(12, '0');
  return bytesToMac(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

/** A random locally administered unicast MAC (for the dashboard's generator). */
export function randomMac(random: () => number = Math.random): string {
  const b = Array.from({ length: 6 }, () => Math.floor(random() * 256));
  b[0] = (b[0]! & 0xfc) | 0x02;
  return bytesToMac(b);
}

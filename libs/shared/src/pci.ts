/** PCI routing-id helpers: bdf_raw = bus << 8 | device << 3 | function. */
export function bdfFromRaw(raw: number): string {
  const bus = (raw >> 8) & 0xff;
  const dev = (raw >> 3) & 0x1f;
  const fn = raw & 0x7;
  return `${bus.toString(16).padStart(2, '0')}:${dev.toString(16)}.${fn.toString(16)}`;
}

export const BDF_PATTERN = /^(?:[0-9a-fA-F]{4}:)?([0-9a-fA-F]{2}):([0-9a-fA-F]{1,2})\.([0-7])$/;

export function bdfToRaw(bdf: string): number {
  const m = BDF_PATTERN.exec(bdf);
  if (!m) throw new Error(`malformed BDF '${bdf}'`);
  const dev = parseInt(m[2]!, 16);
  if (dev > 0x1f) throw new Error(`device number of '${bdf}' exceeds 0x1f`);
  return (parseInt(m[1]!, 16) << 8) | (dev << 3) | parseInt(m[3]!, 10);
}

/** VUIDs of this controller: <board serial>VNETS<bus>D<device>F<function>. */
export const VUID_PATTERN = /^[A-Za-z0-9]{1,24}VNETS\d{1,3}D\d{1,2}F\d$/;

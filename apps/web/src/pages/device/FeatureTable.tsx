/** Every feature bit the device offers or the driver accepted, with virtio 1.2's names; all of them on request. */
import { FEATURE_BITS } from '@virtnet/shared';
import { useState } from 'react';
import { Panel } from '../../components/ui';

export function FeatureTable({ offered, negotiated }: { offered: bigint; negotiated: bigint }) {
  const [all, setAll] = useState(false);
  const has = (v: bigint, bit: number) => ((v >> BigInt(bit)) & 1n) === 1n;
  const known = new Set(FEATURE_BITS.map((f) => f.bit));
  const unknown = Array.from({ length: 64 }, (_, b) => b)
    .filter((b) => !known.has(b) && (has(offered, b) || has(negotiated, b)))
    .map((bit) => ({ bit, name: `BIT_${bit}`, description: 'Not named by virtio 1.2' }));
  const rows = [...FEATURE_BITS, ...unknown].sort((a, b) => a.bit - b.bit).filter((f) => all || has(offered, f.bit) || has(negotiated, f.bit));
  const mark = (on: boolean) => <span className={on ? 'text-accent' : 'text-muted/50'}>{on ? '●' : '○'}</span>;
  return (
    <Panel
      title="Features: offered vs negotiated"
      id="features"
      bodyClass="p-0"
      actions={
        <label className="flex items-center gap-2 text-xs text-muted">
          <input type="checkbox" id="features-all" checked={all} onChange={(e) => setAll(e.target.checked)} /> every bit of virtio 1.2
        </label>
      }
    >
      <table id="features-table" className="w-full text-xs">
        <thead className="text-left text-muted">
          <tr className="border-b border-line">
            <th className="w-10 px-3 py-1.5 text-right font-medium">bit</th>
            <th className="px-3 py-1.5 font-medium">name</th>
            <th className="w-16 px-2 py-1.5 text-center font-medium">offered</th>
            <th className="w-20 px-2 py-1.5 text-center font-medium">negotiated</th>
            <th className="px-3 py-1.5 font-medium">meaning</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((f) => (
            <tr key={f.bit} data-feature={f.name} data-offered={has(offered, f.bit)} data-negotiated={has(negotiated, f.bit)} className="border-b border-line/50">
              <td className="num px-3 py-1 text-right font-mono text-muted">{f.bit}</td>
              <td className="px-3 py-1 font-mono">{f.name}</td>
              <td className="px-2 py-1 text-center">{mark(has(offered, f.bit))}</td>
              <td className="px-2 py-1 text-center">{mark(has(negotiated, f.bit))}</td>
              <td className="px-3 py-1 text-muted">{f.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Panel>
  );
}

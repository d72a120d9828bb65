/** The devices toolbar's filters: one text box for identities, a select per column that has few values. */
import { filterClass } from '../../components/Dialog';

const select = 'rounded-md border border-line bg-surface px-2 py-1.5 text-sm';

export function DeviceFilters(props: { text: string; setText: (t: string) => void; pfs: number[]; value: (id: string) => string; set: (id: string, value: string) => void }) {
  const { value, set } = props;
  return (
    <>
      <input
        id="devices-filter"
        data-filter
        aria-label="Filter by MAC, VUID, BDF, representor or PF/VF"
        placeholder="MAC, VUID, BDF, 3/17 …  (/)"
        value={props.text}
        onChange={(e) => props.setText(e.target.value)}
        className={filterClass}
      />
      <select id="filter-type" aria-label="Type" className={select} value={value('type')} onChange={(e) => set('type', e.target.value)}>
        <option value="">any type</option>
        <option>static PF</option>
        <option>hotplug PF</option>
        <option>VF</option>
      </select>
      <select id="filter-pf" aria-label="PF" className={select} value={value('pf')} onChange={(e) => set('pf', e.target.value)}>
        <option value="">any PF</option>
        {props.pfs.map((p) => (
          <option key={p} value={String(p)}>
            PF {p}
          </option>
        ))}
      </select>
      <select id="filter-link" aria-label="Link" className={select} value={value('link')} onChange={(e) => set('link', e.target.value)}>
        <option value="">any link</option>
        <option value="up">link up</option>
        <option value="down">link down</option>
      </select>
      <select id="filter-driver" aria-label="Host driver" className={select} value={value('driver')} onChange={(e) => set('driver', e.target.value)}>
        <option value="">any driver state</option>
        <option value="ok">driver ok</option>
        <option value="probing">probing</option>
        <option value="none">no driver</option>
        <option value="failed">failed</option>
      </select>
    </>
  );
}

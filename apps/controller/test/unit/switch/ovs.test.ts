/** The ovs-vsctl argument lists and the parsing of its JSON tables (the real ovs-vsctl runs in e2e/src/ovs.e2e.test.ts). */
import { describe, expect, it } from 'vitest';
import { addPortsArgs, delPortsArgs, findOursArgs, parseNames } from '../../../src/switch/ovs.js';

describe('ovs-vsctl arguments', () => {
  it('adds ports idempotently, tagged with the home and the device, in one transaction', () => {
    expect(addPortsArgs('br0', '/var/lib/virtnet', [{ vuid: 'V1', rep: 'en3f0pf0sf1001' }, { vuid: 'V2', rep: 'en3f0pf0sf1002' }])).toEqual([
      '--', '--may-exist', 'add-port', 'br0', 'en3f0pf0sf1001', '--', 'set', 'Interface', 'en3f0pf0sf1001', 'external_ids:virtnet_home="/var/lib/virtnet"', 'external_ids:virtnet_vuid=V1',
      '--', '--may-exist', 'add-port', 'br0', 'en3f0pf0sf1002', '--', 'set', 'Interface', 'en3f0pf0sf1002', 'external_ids:virtnet_home="/var/lib/virtnet"', 'external_ids:virtnet_vuid=V2',
    ]);
  });

  it('removes only named ports, and finds only this home\'s', () => {
    expect(delPortsArgs('br0', ['a', 'b'])).toEqual(['--', '--if-exists', 'del-port', 'br0', 'a', '--', '--if-exists', 'del-port', 'br0', 'b']);
    expect(findOursArgs('/tmp/h "x"')).toEqual(['--format=json', '--columns=name', 'find', 'Interface', 'external_ids:virtnet_home="/tmp/h \\"x\\""']);
  });

  it('reads names out of a find table, and refuses what is no table', () => {
    expect(parseNames('{"data":[["en3f0pf0sf1001"],["en3f0pf0sf1002"]],"headings":["name"]}')).toEqual(['en3f0pf0sf1001', 'en3f0pf0sf1002']);
    expect(parseNames('{"data":[],"headings":["name"]}')).toEqual([]);
    expect(() => parseNames('{"headings":["name"]}')).toThrow(/no data table/);
  });
});

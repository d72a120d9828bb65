/** The journal's log format: each pino line as one syslog-priority line. */
import { describe, expect, it } from 'vitest';
import { journalLine } from '../../../src/common/logger.js';

describe('journal log lines', () => {
  it('maps levels to priorities and keeps fields', () => {
    expect(journalLine('{"level":50,"time":1,"pid":2,"hostname":"h","context":"rpc","msg":"boom","code":"X"}')).toBe('<3>rpc: boom code=X\n');
    expect(journalLine('{"level":40,"msg":"careful","n":{"a":1}}')).toBe('<4>careful n={"a":1}\n');
    expect(journalLine('{"level":20,"msg":"detail"}')).toBe('<7>detail\n');
  });
});

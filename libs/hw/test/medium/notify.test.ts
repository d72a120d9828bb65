/**
 * The journal's native protocol, sent through the real C library's sendto
 * to a datagram socket of the test's own, read back byte for byte.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JournalWriter, MAX_JOURNAL_ENTRY, NotifyListener, journalEntry } from '../../src/notify.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('journalEntry', () => {
  it('writes NAME=value lines, and a value with a newline with its 64-bit length', () => {
    expect(journalEntry({ MESSAGE: 'hotplug ok', PRIORITY: 5 }).toString()).toBe('MESSAGE=hotplug ok\nPRIORITY=5\n');
    const e = journalEntry({ DETAIL: 'a\nb' });
    expect(e.subarray(0, 7).toString()).toBe('DETAIL\n');
    expect(e.readBigUInt64LE(7)).toBe(3n);
    expect(e.subarray(15).toString()).toBe('a\nb\n');
  });

  it('refuses names journald would drop or take as trusted, and entries beyond a datagram', () => {
    for (const bad of ['message', '_PID', 'A-B', '', 'X'.repeat(65)]) expect(() => journalEntry({ [bad]: 'x' })).toThrow(/journal field name/);
    expect(() => journalEntry({ MESSAGE: 'x'.repeat(MAX_JOURNAL_ENTRY) })).toThrow(/exceeds/);
  });
});

describe('JournalWriter', () => {
  it('sends one datagram per entry to the socket', () => {
    dir = mkdtempSync(join(tmpdir(), 'vnj-'));
    const listener = new NotifyListener(join(dir, 'socket'));
    const w = new JournalWriter(join(dir, 'socket'));
    try {
      w.send({ MESSAGE: 'one', VIRTNET_AUDIT_ACTOR: 'cli' });
      w.send({ MESSAGE: 'two\nlines' });
      const got = listener.drainRaw();
      expect(got).toHaveLength(2);
      expect(got[0]!.toString()).toBe('MESSAGE=one\nVIRTNET_AUDIT_ACTOR=cli\n');
      expect(got[1]!.equals(journalEntry({ MESSAGE: 'two\nlines' }))).toBe(true);
    } finally {
      w.close();
      listener.close();
    }
  });

  it('throws when nothing listens, without blocking', () => {
    dir = mkdtempSync(join(tmpdir(), 'vnj-'));
    const w = new JournalWriter(join(dir, 'nobody'));
    try {
      expect(() => w.send({ MESSAGE: 'lost' })).toThrow(/sendto .*nobody failed \(errno 2\)/);
    } finally {
      w.close();
    }
  });
});

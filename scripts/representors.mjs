// @ts-check
/**
 * TAP representors outlive their controller by design (a restart keeps them,
 * as an SF's netdev outlives the real controller). A test's or a benchmark's
 * must not outlive it: this removes those of one VIRTNET_HOME, recognized by
 * their alias, `virtnet <socket path under that home>`.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** @param {string} home */
export function removeRepresentors(home) {
  /** @type {string[]} */
  let names = [];
  try {
    names = readdirSync('/sys/class/net');
  } catch {
    return;
  }
  for (const n of names) {
    let alias = '';
    try {
      alias = readFileSync(`/sys/class/net/${n}/ifalias`, 'utf8');
    } catch {
      continue;
    }
    if (!alias.startsWith(`virtnet ${home}/`)) continue;
    try {
      execFileSync('ip', ['link', 'del', n], { stdio: 'ignore' });
    } catch {
      // gone already
    }
  }
}

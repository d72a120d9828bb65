/**
 * The documentation against the tree: README's layout table names every
 * project and folder of the repository it should, and nothing that is not
 * there; every relative link of README, docs/ and the benchmarks' README
 * leads to a file, and to a heading of it when it names one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
/** Every folder that holds a tracked file, at any depth. */
const folders = new Set(tracked.flatMap((f) => f.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
/** Folders of a project that are no part of its layout: its tests by tier. */
const NOT_LAYOUT = new Set(['test']);

const subfolders = (dir: string) => [...folders].filter((f) => posix.dirname(f) === dir).map((f) => posix.basename(f));

/** The rows of the README's layout table: path -> what it says of it. */
function layoutRows(): Map<string, string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Layout\n'), readme.indexOf('\n## ', readme.indexOf('\n## Layout\n') + 1));
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const m = /^\| `([^`]+)` \| (.*) \|$/.exec(line);
    if (m) rows.set(m[1]!, m[2]!);
  }
  return rows;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6} (.*)$/.exec(line);
    if (m) out.add(slug(m[1]!));
  }
  return out;
}

describe("README's layout table", () => {
  const rows = layoutRows();

  it('has rows, each a folder of the repository', () => {
    expect(rows.size).toBeGreaterThan(5);
    expect([...rows.keys()].filter((p) => !folders.has(p))).toEqual([]);
  });

  it('names every project and every top-level folder', () => {
    const projects = tracked.filter((f) => posix.basename(f) === 'project.json').map(posix.dirname);
    expect(projects.filter((p) => !rows.has(p))).toEqual([]);
    const top = [...folders].filter((f) => !f.includes('/'));
    const covered = (f: string) => rows.has(f) || [...rows.keys()].some((r) => r.startsWith(`${f}/`));
    expect(top.filter((f) => !covered(f))).toEqual([]);
  });

  it("names each row's folders (under its src/ when it has one), and only folders that are there", () => {
    const missing: string[] = [];
    const unknown: string[] = [];
    for (const [path, text] of rows) {
      const tokens = [...text.matchAll(/`([^` ]+\/)`/g)].map((m) => m[1]!);
      const base = folders.has(`${path}/src`) ? `${path}/src` : path;
      for (const f of subfolders(base).filter((f) => !NOT_LAYOUT.has(f))) {
        if (!tokens.some((t) => t === `${f}/` || t.endsWith(`/${f}/`))) missing.push(`${base}/${f}/`);
      }
      for (const t of tokens) {
        const under = [`${path}/${t}`, `${path}/src/${t}`].map((p) => p.replace(/\/$/, ''));
        if (!under.some((p) => folders.has(p))) unknown.push(`${path}: ${t}`);
      }
    }
    expect({ missing, unknown }).toEqual({ missing: [], unknown: [] });
  });
});

describe('links in the documentation', () => {
  const docs = ['README.md', 'bench/README.md', ...tracked.filter((f) => f.startsWith('docs/') && f.endsWith('.md'))];

  it.each(docs)('%s links only to files and headings that exist', (doc) => {
    const file = join(ROOT, doc);
    const broken: string[] = [];
    let fenced = false;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.startsWith('```')) fenced = !fenced;
      if (fenced) continue;
      for (const m of line.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const to = path ? resolve(dirname(file), path) : file;
        if (!existsSync(to)) broken.push(target);
        else if (anchor && to.endsWith('.md') && !anchors(to).has(anchor)) broken.push(target);
      }
    }
    expect(broken).toEqual([]);
  });
});

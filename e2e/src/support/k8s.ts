/**
 * Kubernetes manifests checked offline against the API's own schema, as
 * kubernetes-models ships it for each kind: its validator (types, required
 * fields, formats, enums), then its TypeScript types, with each manifest
 * compiled as an object literal of its kind, which refuses any field the
 * API does not have (the validator alone lets a misspelt field through, as
 * the API server would by dropping it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ROOT } from './daemon.js';

const KINDS: Record<string, { model: new (data: any) => { validate(): void }; type: string; module: string }> = {
  'v1/Namespace': { model: Namespace, type: 'INamespace', module: 'kubernetes-models/v1/Namespace' },
  'v1/ConfigMap': { model: ConfigMap, type: 'IConfigMap', module: 'kubernetes-models/v1/ConfigMap' },
  'apps/v1/DaemonSet': { model: DaemonSet, type: 'IDaemonSet', module: 'kubernetes-models/apps/v1/DaemonSet' },
};

export function readManifests(file: string): any[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return d.toJS();
  });
}

/** Every problem found, as `Kind name: message`; none means valid. */
export function checkManifests(docs: any[]): string[] {
  const problems: string[] = [];
  const name = (d: any) => `${d?.kind ?? '?'} ${d?.metadata?.name ?? '?'}`;
  for (const d of docs) {
    const kind = KINDS[`${d?.apiVersion}/${d?.kind}`];
    if (!kind) {
      problems.push(`${name(d)}: no schema here for ${d?.apiVersion}/${d?.kind}`);
      continue;
    }
    try {
      new kind.model(d).validate();
    } catch (e) {
      problems.push(`${name(d)}: ${(e as Error).message}`);
    }
  }
  problems.push(...typeCheck(docs.filter((d) => KINDS[`${d?.apiVersion}/${d?.kind}`])));
  return problems;
}

function typeCheck(docs: any[]): string[] {
  const file = join(ROOT, 'e2e/src/__manifests__.mts');
  const used = [...new Set(docs.map((d) => KINDS[`${d.apiVersion}/${d.kind}`]!))];
  const lines = [
    ...used.map((k) => `import type { ${k.type} } from '${k.module}';`),
    ...docs.map((d, i) => `export const m${i}: ${KINDS[`${d.apiVersion}/${d.kind}`]!.type} = ${JSON.stringify(d, null, 2)};`),
  ];
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, ...rest) => (f === file ? ts.createSourceFile(f, source, lang) : read(f, lang, ...rest));
  const program = ts.createProgram({ rootNames: [file], options, host });
  const text = source.split('\n');
  return ts.getPreEmitDiagnostics(program).map((diag) => {
    const msg = ts.flattenDiagnosticMessageText(diag.messageText, '\n');
    if (!diag.file || diag.start === undefined) return msg;
    const { line } = diag.file.getLineAndCharacterOfPosition(diag.start);
    const owner = text.slice(0, line + 1).reverse().find((l) => l.startsWith('export const m'));
    const doc = docs[Number(/^export const m(\d+)/.exec(owner ?? '')?.[1] ?? -1)];
    return `${doc ? `${doc.kind} ${doc.metadata?.name}` : '?'}: ${text[line]!.trim()}: ${msg}`;
  });
}

/**
 * Reading virtnet.conf the way operators write it. The text is JSON, but
 * NVIDIA's own documentation prints an example with a trailing comma, so a
 * trailing comma is accepted with a warning that names its line; anything
 * else that is not JSON is an error with its line and column. Unknown keys
 * (top level, static_pf, vf) are warned about and ignored. Every rule
 * violation is an error naming the key (`vf.vfs_per_pf`).
 */
import { createScanner, parse, printParseErrorCode, SyntaxKind, type ParseError } from 'jsonc-parser';
import type { z } from 'zod';
import { KNOWN_CONF_KEYS, KNOWN_SECTION_KEYS, VirtnetConfSchema, type ConfFinding, type VirtnetConf } from './config.js';

export interface ConfReport {
  /** The configuration with defaults applied; null when there are errors. */
  value: VirtnetConf | null;
  errors: ConfFinding[];
  warnings: ConfFinding[];
}

function lineOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

const SYNTAX_WORDS: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'a quoted key is expected',
  ValueExpected: 'a value is expected',
  ColonExpected: "':' is expected",
  CommaExpected: "',' is expected",
  CloseBraceExpected: "'}' is expected",
  CloseBracketExpected: "']' is expected",
  EndOfFileExpected: 'text after the end of the JSON object',
  InvalidCommentToken: 'comments are not allowed in virtnet.conf',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in a string',
};

/** Offsets of commas that directly precede a closing brace or bracket. */
function trailingCommas(text: string): number[] {
  const scanner = createScanner(text, true);
  const found: number[] = [];
  let comma = -1;
  for (let kind = scanner.scan(); kind !== SyntaxKind.EOF; kind = scanner.scan()) {
    if (kind === SyntaxKind.CommaToken) comma = scanner.getTokenOffset();
    else if ((kind === SyntaxKind.CloseBraceToken || kind === SyntaxKind.CloseBracketToken) && comma >= 0) {
      found.push(comma);
      comma = -1;
    } else comma = -1;
  }
  return found;
}

function zodFindings(error: z.ZodError): ConfFinding[] {
  return error.issues.map((i) => ({ key: i.path.map(String).join('.') || '(file)', message: i.message }));
}

/** Parses and checks the text of a virtnet.conf. Never throws. */
export function parseVirtnetConf(text: string): ConfReport {
  const errors: ConfFinding[] = [];
  const warnings: ConfFinding[] = [];
  const syntax: ParseError[] = [];
  const raw: unknown = parse(text, syntax, { allowTrailingComma: true, disallowComments: true, allowEmptyContent: false });
  for (const e of syntax) {
    const at = lineOf(text, e.offset);
    const name = printParseErrorCode(e.error);
    errors.push({ key: '(file)', line: at.line, message: `not valid JSON at line ${at.line}, column ${at.column}: ${SYNTAX_WORDS[name] ?? name}` });
  }
  if (errors.length) return { value: null, errors, warnings };
  for (const offset of trailingCommas(text)) {
    const at = lineOf(text, offset);
    warnings.push({ key: '(file)', line: at.line, message: `trailing comma at line ${at.line}, column ${at.column} accepted (strict JSON does not allow it)` });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { value: null, errors: [{ key: '(file)', message: 'must be a JSON object ({ ... })' }], warnings };
  }
  const known = new Set<string>(KNOWN_CONF_KEYS);
  const cleaned: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!known.has(k)) {
      warnings.push({ key: k, message: `unknown key '${k}' is ignored` });
      continue;
    }
    const section = KNOWN_SECTION_KEYS[k as keyof typeof KNOWN_SECTION_KEYS];
    if (section && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const inner: Record<string, unknown> = {};
      for (const [ik, iv] of Object.entries(v)) {
        if ((section as readonly string[]).includes(ik)) inner[ik] = iv;
        else warnings.push({ key: `${k}.${ik}`, message: `unknown key '${k}.${ik}' is ignored` });
      }
      cleaned[k] = inner;
    } else cleaned[k] = v;
  }
  const r = VirtnetConfSchema.safeParse(cleaned);
  if (!r.success) return { value: null, errors: zodFindings(r.error), warnings };
  for (const section of ['static_pf', 'vf'] as const) {
    const base = r.data[section]?.mac_base;
    // The seed leaves a MAC's validity to the user; a device cannot take a multicast or zero address, so say so now.
    if (base !== undefined && (parseInt(base.slice(0, 2), 16) & 1 || /^(00[:-]){5}00$/.test(base)))
      warnings.push({ key: `${section}.mac_base`, message: `${base} is ${parseInt(base.slice(0, 2), 16) & 1 ? 'a multicast' : 'the all-zero'} address: devices cannot take it and will not be created (the first octet must be even)` });
  }
  for (const [k, rule] of Object.entries(NO_EFFECT)) {
    if (k in cleaned && rule.when(cleaned[k])) warnings.push({ key: k, message: `'${k}' is accepted but has no effect on the emulated DPU: ${rule.why}` });
  }
  return { value: r.data, errors, warnings };
}

/** Options of the real product that are checked but change nothing here (at a value other than the default), and why. */
const NO_EFFECT: Record<string, { when: (v: unknown) => boolean; why: string }> = {
  sf_pool_percent: { when: (v) => v !== 0, why: 'SFs are created with their device, there is no pool to reserve' },
  sf_pool_force_destroy: { when: (v) => v === 1 || v === true, why: 'SFs are created with their device, there is no pool to destroy' },
  admin_cmd_workers: { when: () => true, why: 'admin commands run on the controller thread' },
  lm_prov: { when: () => true, why: 'live migration is not emulated' },
};

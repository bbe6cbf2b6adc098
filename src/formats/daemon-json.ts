import { applyEdits, modify, parse as parseTolerant, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { HostRefusal } from '../errors.js';

/** daemon.json as dockerd reads it: one JSON object. Key order is kept by JS objects for string keys. */
export type DaemonConfig = Record<string, unknown>;

export const INSECURE_KEY = 'insecure-registries';

export interface ParsedDaemonJson {
  config: DaemonConfig;
  /** Whitespace only: no settings to this tool, but a file dockerd before 23.0 will not start with. */
  empty: boolean;
}

/** The same settings as dockerd of any version reads them: no byte-order mark, and `{}` for an empty file. */
export function readableByEveryDockerd(text: string): string {
  const body = text.replace(/^\uFEFF/, '');
  return body.trim() === '' ? '{}\n' : body;
}

export function parseDaemonJson(text: string, file: string): ParsedDaemonJson {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') return { config: {}, empty: true };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    throw new HostRefusal(`${file}${describeSyntaxError(body, (err as Error).message)}; fix it by hand, it was left unchanged`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw new HostRefusal(`${file}: must hold a JSON object, but holds ${what}; fix it by hand, it was left unchanged`);
  }
  const config = value as DaemonConfig;
  const list = config[INSECURE_KEY];
  // dockerd (Go's JSON) reads the last of a repeated key; an edit lands on the first, which dockerd ignores.
  if (list !== undefined && timesKeyed(body, INSECURE_KEY) > 1) {
    throw new HostRefusal(`${file}: "${INSECURE_KEY}" appears more than once, and dockerd reads only the last (${JSON.stringify(list)}); merge them into one by hand, it was left unchanged`);
  }
  // null is what dockerd reads as no list (Go's JSON leaves the slice nil); a template may well write it.
  if (list !== undefined && list !== null && (!Array.isArray(list) || list.some((x) => typeof x !== 'string'))) {
    throw new HostRefusal(`${file}: "${INSECURE_KEY}" must be a list of strings; fix it by hand, it was left unchanged`);
  }
  return { config, empty: false };
}

/** How many times the top-level object has the key. */
function timesKeyed(body: string, key: string): number {
  return (parseTree(body)?.children ?? []).filter((property) => property.children?.[0]?.value === key).length;
}

export function insecureRegistriesOf(config: DaemonConfig): string[] {
  const list = config[INSECURE_KEY];
  return Array.isArray(list) ? (list as string[]) : [];
}

/**
 * Returns the config with `insecure-registries` changed: entries in `add` appended when missing,
 * entries in `remove` dropped, every other key, value and the key order left as they were.
 * An emptied list stays as `[]`: on SIGHUP dockerd only reloads keys present in the file, so
 * deleting the key would leave the removed registries trusted until the next restart.
 */
export function withInsecureRegistries(config: DaemonConfig, add: readonly string[], remove: readonly string[] = []): DaemonConfig {
  const had = INSECURE_KEY in config;
  const next = insecureRegistriesOf(config).filter((e) => !remove.includes(e));
  for (const entry of add) if (!next.includes(entry)) next.push(entry);
  const out: DaemonConfig = {};
  for (const [key, value] of Object.entries(config)) {
    if (key !== INSECURE_KEY) out[key] = value;
    else out[key] = next;
  }
  if (!had && next.length > 0) out[INSECURE_KEY] = next;
  return out;
}

export function renderDaemonJson(config: DaemonConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * The file's text with insecure-registries changed and nothing else: an in-place edit that keeps
 * the file's own formatting, other keys and their order (a minimal diff for the operator).
 */
export function editInsecureRegistries(text: string | null, config: DaemonConfig, add: readonly string[], remove: readonly string[] = []): string {
  const next = withInsecureRegistries(config, add, remove)[INSECURE_KEY] as string[] | undefined;
  // Nothing to change: the text stays byte for byte (an edit would re-indent the list).
  if (text !== null && JSON.stringify(next) === JSON.stringify(config[INSECURE_KEY])) return text;
  return setInsecureRegistries(text, next);
}

/**
 * The file's text with `insecure-registries` set to exactly `list` (absent: key left out), nothing
 * else changed but a byte-order mark, which goes (see unreadableByDockerd: no dockerd needs it).
 */
export function setInsecureRegistries(text: string | null, list: readonly string[] | undefined): string {
  const next: DaemonConfig = list === undefined ? {} : { [INSECURE_KEY]: list };
  const body = (text ?? '').replace(/^\uFEFF/, '');
  if (body.trim() === '') return list === undefined ? body : renderDaemonJson(next);
  // A file on one line (as JSON.stringify, jq -c or a configuration-management template writes it)
  // stays on one line: formatting the edit would re-indent the whole file. `{}` has no style to keep.
  if (!body.trimEnd().includes('\n') && !/^\s*\{\s*\}\s*$/.test(body)) return applyEdits(body, modify(body, [INSECURE_KEY], list, {}).map((e) => ({ ...e, content: inLineStyle(e.content, body, list) })));
  const edits = modify(body, [INSECURE_KEY], list, {
    formattingOptions: { insertSpaces: !/^\t/m.test(body), tabSize: indentOf(body), eol: body.includes('\r\n') ? '\r\n' : '\n' },
  });
  return applyEdits(body, edits);
}

/** An unformatted edit's text, spaced as the one-line file is: `{"a": 1, "b": 2}` or `{"a":1,"b":2}`. */
function inLineStyle(content: string, body: string, list: readonly string[] | undefined): string {
  if (!content || !list) return content;
  const colon = /"\s*:\s/.test(body) ? ': ' : ':';
  const comma = /,\s/.test(body) || (colon === ': ' && !body.includes(',')) ? ', ' : ',';
  return content
    .replace(JSON.stringify(list), `[${list.map((e) => JSON.stringify(e)).join(comma)}]`)
    .replace(`${JSON.stringify(INSECURE_KEY)}: `, `${JSON.stringify(INSECURE_KEY)}${colon}`)
    .replace(/^,/, comma)
    .replace(/,$/, comma);
}

function indentOf(text: string): number {
  const m = /^( +)"/m.exec(text);
  return m ? m[1]!.length : 2;
}

/** JSON.parse says what is wrong but not always where; jsonc-parser (strict mode) gives the offset. */
function describeSyntaxError(text: string, message: string): string {
  const errors: ParseError[] = [];
  parseTolerant(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  const what = first ? printParseErrorCode(first.error).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase() : message.split('\n')[0];
  if (!first) return `: not valid JSON (${what})`;
  const before = text.slice(0, first.offset);
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `:${line}:${column}: not valid JSON (${what})`;
}

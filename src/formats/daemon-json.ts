import { HostRefusal } from '../errors.js';

/** daemon.json as dockerd reads it: one JSON object. Key order is kept by JS objects for string keys. */
export type DaemonConfig = Record<string, unknown>;

export const INSECURE_KEY = 'insecure-registries';

/** Keys people write by mistake; dockerd refuses to start on unknown keys ("unknown directive"). */
export const MISSPELLED_KEYS: Record<string, string> = {
  'insecure-registry': INSECURE_KEY,
  insecure_registries: INSECURE_KEY,
  insecureRegistries: INSECURE_KEY,
};

export interface ParsedDaemonJson {
  config: DaemonConfig;
  /** Whitespace-only files are valid for dockerd and mean "no settings". */
  empty: boolean;
}

export function parseDaemonJson(text: string, file: string): ParsedDaemonJson {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') return { config: {}, empty: true };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    const where = errorPosition(body, (err as Error).message);
    throw new HostRefusal(`${file}${where}: not valid JSON (${cleanMessage((err as Error).message)}); fix it by hand, it was left unchanged`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw new HostRefusal(`${file}: must hold a JSON object, but holds ${what}; fix it by hand, it was left unchanged`);
  }
  const config = value as DaemonConfig;
  const list = config[INSECURE_KEY];
  if (list !== undefined && (!Array.isArray(list) || list.some((x) => typeof x !== 'string'))) {
    throw new HostRefusal(`${file}: "${INSECURE_KEY}" must be a list of strings; fix it by hand, it was left unchanged`);
  }
  return { config, empty: false };
}

export function insecureRegistriesOf(config: DaemonConfig): string[] {
  const list = config[INSECURE_KEY];
  return Array.isArray(list) ? (list as string[]) : [];
}

/**
 * Returns the config with `insecure-registries` changed: entries in `add` appended when missing,
 * entries in `remove` dropped, every other key, value and the key order left as they were.
 * An emptied list is removed rather than left as `[]`, so uninstall leaves the file as it found it.
 */
export function withInsecureRegistries(config: DaemonConfig, add: readonly string[], remove: readonly string[] = []): DaemonConfig {
  const had = INSECURE_KEY in config;
  const next = insecureRegistriesOf(config).filter((e) => !remove.includes(e));
  for (const entry of add) if (!next.includes(entry)) next.push(entry);
  const out: DaemonConfig = {};
  for (const [key, value] of Object.entries(config)) {
    if (key !== INSECURE_KEY) out[key] = value;
    else if (next.length > 0) out[key] = next;
  }
  if (!had && next.length > 0) out[INSECURE_KEY] = next;
  return out;
}

export function renderDaemonJson(config: DaemonConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

function errorPosition(text: string, message: string): string {
  const lineCol = /line (\d+) column (\d+)/.exec(message);
  if (lineCol) return `:${lineCol[1]}:${lineCol[2]}`;
  const pos = /position (\d+)/.exec(message);
  if (pos) {
    const before = text.slice(0, Number(pos[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    return `:${line}:${column}`;
  }
  if (/end of (JSON )?input/i.test(message)) return `:${text.split('\n').length}`;
  return '';
}

function cleanMessage(message: string): string {
  return message.replace(/ in JSON at position \d+.*$/s, '').replace(/\s*\(line \d+ column \d+\)/, '').split('\n')[0]!;
}

/**
 * systemd unit files and drop-ins, read the way systemd reads them for the keys we need.
 * Why not `ini`: units repeat keys (ExecStart=, EnvironmentFile=) with reset semantics
 * (an empty ExecStart= clears the list) and continue lines with a trailing backslash.
 */
export interface UnitEntry {
  section: string;
  key: string;
  value: string;
}

export function parseUnit(text: string): UnitEntry[] {
  const out: UnitEntry[] = [];
  let section = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[') && line.endsWith(']')) {
      section = line.slice(1, -1);
      continue;
    }
    // A trailing backslash joins the next line (comment lines in between are skipped, as systemd does).
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = `${line.slice(0, -1)} `;
      i++;
      const next = lines[i]!.trim();
      if (next.startsWith('#') || next.startsWith(';')) continue;
      line += next;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    out.push({ section, key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() });
  }
  return out;
}

export interface UnitSource {
  path: string;
  text: string;
}

export interface EffectiveService {
  /** The ExecStart in force after all resets (the daemon's command line, variables unexpanded). */
  execStart: string | null;
  /** Which file set that ExecStart. */
  execStartFrom: string | null;
  environmentFiles: { path: string; optional: boolean }[];
  /** Whether the unit says how to reload (`systemctl reload` refuses a unit without ExecReload). */
  execReload: boolean;
}

/** Folds the unit and its drop-ins (in the order systemd applies them) into the settings in force. */
export function effectiveService(sources: readonly UnitSource[]): EffectiveService {
  const result: EffectiveService = { execStart: null, execStartFrom: null, environmentFiles: [], execReload: false };
  for (const src of sources) {
    for (const e of parseUnit(src.text)) {
      if (e.section !== 'Service') continue;
      if (e.key === 'ExecReload') result.execReload = e.value !== '';
      else if (e.key === 'ExecStart') {
        result.execStart = e.value === '' ? null : e.value;
        result.execStartFrom = e.value === '' ? null : src.path;
      } else if (e.key === 'EnvironmentFile') {
        if (e.value === '') result.environmentFiles = [];
        else
          for (const f of e.value.split(/\s+/)) result.environmentFiles.push({ path: f.replace(/^-/, ''), optional: f.startsWith('-') });
      }
    }
  }
  return result;
}

/** Splits an Exec line into words (systemd honours double and single quotes) after dropping its prefixes (-, @, +, !, :). */
export function execWords(exec: string): string[] {
  const body = exec.replace(/^[-@+!:]+/, '');
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(body); m; m = re.exec(body)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** Variables an Exec line expands: `$NAME` (split into words) and `${NAME}` (one word). */
export function referencedVariables(exec: string): string[] {
  const out: string[] = [];
  const re = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
  for (let m = re.exec(exec); m; m = re.exec(exec)) out.push(m[1] ?? m[2]!);
  return out;
}

/** A socket unit's ListenStream= addresses after all resets (an empty one clears the list): a path is a unix socket. */
export function listenStreams(sources: readonly UnitSource[]): string[] {
  let listens: string[] = [];
  for (const src of sources) {
    for (const e of parseUnit(src.text)) {
      if (e.section === 'Socket' && e.key === 'ListenStream') listens = e.value === '' ? [] : [...listens, e.value];
    }
  }
  return listens;
}

import { parse } from 'ini';

export interface OsRelease {
  id: string;
  idLike: string[];
  versionId: string;
  prettyName: string;
}

/** /etc/os-release is KEY=value with optional quotes and no sections, which ini reads as-is. */
export function parseOsRelease(text: string): OsRelease {
  const raw = parse(text) as Record<string, unknown>;
  const get = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string).replace(/^(['"])(.*)\1$/, '$2') : '');
  return {
    id: get('ID').toLowerCase() || 'linux',
    idLike: get('ID_LIKE').toLowerCase().split(/\s+/).filter(Boolean),
    versionId: get('VERSION_ID'),
    prettyName: get('PRETTY_NAME') || get('NAME') || 'Linux',
  };
}

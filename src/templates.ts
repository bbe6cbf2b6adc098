import { readFileSync } from 'node:fs';

/** The texts the tool writes, shipped in templates/ next to dist/ (found from this module's URL, as create-vite does). */
export interface Templates {
  daemonJson: string;
  systemdDropIn: string;
  envFileHeader: string;
  registryConfig: string;
}

let cached: Templates | null = null;

export function loadTemplates(): Templates {
  if (cached) return cached;
  const dir = new URL('../templates/', import.meta.url);
  const read = (name: string) => readFileSync(new URL(name, dir), 'utf8');
  cached = { daemonJson: read('daemon.json'), systemdDropIn: read('systemd-dropin.conf'), envFileHeader: read('env-file.txt'), registryConfig: read('registry-config.yml') };
  return cached;
}

export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    if (!(key in values)) throw new Error(`template value missing: ${key}`);
    return values[key]!;
  });
}

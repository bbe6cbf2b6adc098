import os from 'node:os';
import path from 'node:path';
import type { Ports } from '../ports/index.js';

export interface SavedCredentials {
  user: string;
  password: string;
  /** where they came from, for messages (never the secret itself) */
  source: string;
}

interface DockerClientConfig {
  auths?: Record<string, { auth?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** The docker CLI's own configuration directory: $DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || path.join(os.homedir(), '.docker');
}

/**
 * What `docker login ENTRY` saved, read the way the docker CLI reads it: a credential helper named
 * for the registry (credHelpers) or for all (credsStore) is asked with `docker-credential-NAME get`;
 * otherwise the base64 user:password in config.json "auths". Null when nothing is saved or readable.
 * Read-only; the secret stays in memory.
 */
export async function savedCredentials(ports: Pick<Ports, 'files' | 'processes'>, entry: string, dir = dockerConfigDir()): Promise<SavedCredentials | null> {
  const file = path.join(dir, 'config.json');
  let config: DockerClientConfig;
  try {
    config = JSON.parse((await ports.files.read(file)) ?? '{}') as DockerClientConfig;
  } catch {
    return null;
  }
  if (typeof config !== 'object' || config === null) return null;
  const helper = config.credHelpers?.[entry] ?? config.credsStore;
  // A helper name becomes part of a command name: only the characters helper names use.
  if (helper && /^[A-Za-z0-9._-]+$/.test(helper)) {
    const r = await ports.processes.probe([`docker-credential-${helper}`, 'get'], { input: entry, timeoutMs: 10_000 });
    if (r.exitCode !== 0) return null;
    try {
      const got = JSON.parse(r.stdout) as { Username?: string; Secret?: string };
      return got.Username && got.Secret ? { user: got.Username, password: got.Secret, source: `docker-credential-${helper}` } : null;
    } catch {
      return null;
    }
  }
  const saved = config.auths?.[entry]?.auth ?? config.auths?.[`https://${entry}`]?.auth;
  if (!saved) return null;
  const text = Buffer.from(saved, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  return { user: text.slice(0, colon), password: text.slice(colon + 1), source: file };
}

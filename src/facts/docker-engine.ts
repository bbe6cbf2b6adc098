import type { Processes } from '../ports/processes.js';
import type { ContainerFacts } from './types.js';

export interface EngineFacts {
  installed: boolean;
  clientVersion: string | null;
  serverVersion: string | null;
  liveInsecure: { registries: string[]; cidrs: string[] } | null;
  error: string | null;
}

interface RegistryConfig {
  InsecureRegistryCIDRs?: string[] | null;
  IndexConfigs?: Record<string, { Name: string; Secure: boolean }> | null;
}

/** Asks the docker CLI what the daemon is and trusts; several calls in parallel, none of them writes. */
export async function engineFacts(proc: Processes): Promise<EngineFacts> {
  const [version, info] = await Promise.all([
    proc.probe(['docker', 'version', '--format', '{{.Client.Version}}|{{if .Server}}{{.Server.Version}}{{end}}']),
    proc.probe(['docker', 'info', '--format', '{{json .RegistryConfig}}']),
  ]);
  if (version.notFound) return { installed: false, clientVersion: null, serverVersion: null, liveInsecure: null, error: 'docker: command not found' };
  const [client, server] = version.stdout.trim().split('|');
  const live = info.exitCode === 0 ? liveInsecureOf(JSON.parse(info.stdout) as RegistryConfig) : null;
  return {
    installed: true,
    clientVersion: client || null,
    serverVersion: version.exitCode === 0 && server ? server : null,
    liveInsecure: live,
    error: info.exitCode === 0 ? null : (info.stderr || info.stdout).trim().split('\n')[0] ?? null,
  };
}

export function liveInsecureOf(cfg: RegistryConfig | null): { registries: string[]; cidrs: string[] } {
  const registries = Object.values(cfg?.IndexConfigs ?? {})
    .filter((c) => c.Secure === false)
    .map((c) => c.Name);
  return { registries, cidrs: cfg?.InsecureRegistryCIDRs ?? [] };
}

interface Inspect {
  Id: string;
  State: { Running: boolean; Status: string };
  Config: { Image: string; Env: string[] | null; Labels: Record<string, string> | null };
  HostConfig: { RestartPolicy: { Name: string }; PortBindings: Record<string, { HostIp: string; HostPort: string }[] | null> | null };
  Mounts: { Source: string; Destination: string }[] | null;
}

export async function containerFacts(proc: Processes, name: string): Promise<ContainerFacts | null> {
  const r = await proc.probe(['docker', 'container', 'inspect', '--format', '{{json .}}', name]);
  if (r.exitCode !== 0) return null;
  const c = JSON.parse(r.stdout) as Inspect;
  return {
    id: c.Id,
    running: c.State.Running,
    status: c.State.Status,
    image: c.Config.Image,
    restartPolicy: c.HostConfig.RestartPolicy?.Name ?? '',
    hostPort: c.HostConfig.PortBindings?.['5000/tcp']?.[0]?.HostPort ?? null,
    dataDir: c.Mounts?.find((m) => m.Destination === '/var/lib/registry')?.Source ?? null,
    env: c.Config.Env ?? [],
    labels: c.Config.Labels ?? {},
  };
}

export async function imagePresent(proc: Processes, image: string): Promise<boolean> {
  return (await proc.probe(['docker', 'image', 'inspect', '--format', '{{.Id}}', image])).exitCode === 0;
}

import type { HostFacts } from '../facts/types.js';
import { goesThroughProxy } from '../formats/no-proxy.js';
import { managerOf } from '../knowledge/service-managers.js';
import { commandOf } from './actions.js';

/**
 * Whether dockerd's own requests to a registry go through its proxy. A proxy set for Docker Hub
 * (HTTP_PROXY in a systemd drop-in, /etc/default/docker or daemon.json "proxies") also carries
 * every push to a private registry that NO_PROXY does not name, and a corporate proxy usually
 * cannot reach it: the push then fails with "proxyconnect" or the proxy's own error page.
 */
export interface ProxyRoute {
  entry: string;
  host: string;
  proxy: string;
  variable: 'HTTP_PROXY' | 'HTTPS_PROXY';
  /** the file that sets it, among those read, or null */
  setIn: string | null;
  /** what to do so that dockerd goes to the registry directly, as one line */
  fix: string;
}

/** An insecure registry is reached over http in the end (dockerd tries https first, then falls back); a TLS one over https. */
export function proxyRoute(facts: HostFacts, entry: string, tls: boolean): ProxyRoute | null {
  const p = facts.docker.proxy;
  const proxy = tls ? p?.https : p?.http;
  const [, host, port] = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry) ?? [];
  if (!p || !proxy || !host || !goesThroughProxy(p.noProxy, host, port!)) return null;
  const route = { entry, host: host.replace(/^\[(.*)\]$/, '$1'), proxy, variable: tls ? ('HTTPS_PROXY' as const) : ('HTTP_PROXY' as const), setIn: proxySetIn(facts) };
  return { ...route, fix: proxyFix(facts, route) };
}

const SETS_PROXY = /^\s*(export\s+)?(HTTPS?_PROXY|https?_proxy)=|^\s*Environment=.*\b(HTTPS?_PROXY|https?_proxy)=|"proxies"\s*:/m;

function proxySetIn(facts: HostFacts): string | null {
  const texts: [string, string | null][] = [
    ...facts.startup.unitSources.map((u): [string, string] => [u.path, u.text]),
    ...Object.entries(facts.startup.envFiles),
    [facts.daemonJson.path, facts.daemonJson.text],
  ];
  return texts.find(([, text]) => text && SETS_PROXY.test(text))?.[0] ?? null;
}

function proxyFix(facts: HostFacts, r: Omit<ProxyRoute, 'fix'>): string {
  const unitFile = r.setIn !== null && facts.startup.unitSources.some((u) => u.path === r.setIn);
  const manager = managerOf(facts);
  const reloadUnits = unitFile ? manager.reloadUnits() : null;
  const restart = [...(reloadUnits ? [commandOf(reloadUnits)] : []), commandOf(manager.restart())].join(' && ');
  return `add ${r.host} to dockerd's NO_PROXY${r.setIn ? ` in ${r.setIn}` : ''}, then: ${restart}`;
}

/** Said when a push through the proxy failed, as its likely cause. */
export function describeProxyRoute(r: ProxyRoute): string {
  return `dockerd reaches ${r.entry} through the proxy ${r.proxy} (its ${r.variable}${r.setIn ? `, set in ${r.setIn}` : ''}; NO_PROXY does not cover ${r.host})`;
}

/** Said in a plan and by check, before any push failed. */
export function proxyWarning(r: ProxyRoute): string {
  return `${describeProxyRoute(r)}: pushes go through that proxy, and fail if it cannot reach the registry`;
}

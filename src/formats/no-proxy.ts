/**
 * dockerd's registry client is Go's net/http, which takes its proxy from HTTP_PROXY / HTTPS_PROXY
 * and skips it for NO_PROXY by golang.org/x/net/http/httpproxy's rules: `*` for everything; an IP
 * address or a CIDR block; a domain, which also covers its subdomains (`.domain` and `*.domain`
 * only the subdomains); each optionally with a port. localhost and loopback addresses never go
 * through a proxy.
 */
export function goesThroughProxy(noProxy: string, host: string, port: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || isLoopback(name)) return false;
  for (const raw of noProxy.split(',')) {
    const item = raw.trim().toLowerCase();
    if (!item) continue;
    if (item === '*') return false;
    if (item.includes('/')) {
      if (isIP(name) === 4 && inCidr(name, item)) return false;
      continue;
    }
    const m = /^(.*?)(?::(\d+))?$/.exec(item.replace(/^\[(.*)\](:\d+)?$/, '$1$2'))!;
    const [entryHost, entryPort] = [m[1]!, m[2]];
    if (entryPort && entryPort !== port) continue;
    if (isIP(entryHost)) {
      if (entryHost === name) return false;
      continue;
    }
    const domain = entryHost.replace(/^\*\./, '.');
    if (domain.startsWith('.') ? name.endsWith(domain) : name === domain || name.endsWith(`.${domain}`)) return false;
  }
  return true;
}

/** 4 or 6 for an IP address (the forms an address of a registry takes), 0 for a name. */
function isIP(host: string): 0 | 4 | 6 {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ? 4 : host.includes(':') ? 6 : 0;
}

function isLoopback(host: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1';
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  if (isIP(base!) !== 4 || !/^\d+$/.test(bits!) || Number(bits) > 32) return false;
  const toInt = (a: string) => a.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (toInt(ip) & mask) === (toInt(base!) & mask);
}

import { crypto } from '../lazy-builtins.js';
import { isIP } from 'node:net';

/** What the tool needs to know of a PEM certificate, read with Node's own X.509 parser. */
export interface CertInfo {
  subject: string;
  ips: string[];
  dns: string[];
  validTo: Date;
  fingerprint256: string;
}

export function certInfo(pem: string): CertInfo {
  const c = new (crypto().X509Certificate)(pem);
  const sans = (c.subjectAltName ?? '').split(/,\s*/).filter(Boolean);
  return {
    subject: c.subject,
    ips: sans.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice('IP Address:'.length)),
    dns: sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice('DNS:'.length)),
    validTo: new Date(c.validTo),
    fingerprint256: c.fingerprint256,
  };
}

/** Modern Go clients ignore the Common Name: the address must be a subjectAltName (IP SAN for an IP). */
export function covers(info: CertInfo, address: string): boolean {
  if (isIP(address)) return info.ips.includes(address);
  return info.dns.some((d) => d.toLowerCase() === address.toLowerCase() || (d.startsWith('*.') && address.toLowerCase().endsWith(d.slice(1).toLowerCase()) && !address.slice(0, -d.length + 1).includes('.')));
}

/** Why a key cannot serve a certificate (not a key, encrypted, another certificate's key); null when it can. */
export function keyProblem(certPem: string, keyPem: string): string | null {
  const { X509Certificate, createPrivateKey } = crypto();
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    const encrypted = /passphrase/i.test((err as Error).message) || /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(keyPem);
    return encrypted ? 'it is encrypted, and the registry cannot ask for its passphrase' : 'it is not a private key in PEM';
  }
  return new X509Certificate(certPem).checkPrivateKey(key) ? null : 'it is not the key of --tls-cert';
}

export function signedBy(certPem: string, caPem: string): boolean {
  try {
    const { X509Certificate } = crypto();
    return new X509Certificate(certPem).verify(new X509Certificate(caPem).publicKey);
  } catch {
    return false;
  }
}

export function daysLeft(info: CertInfo, now = new Date()): number {
  return Math.floor((info.validTo.getTime() - now.getTime()) / 86_400_000);
}

/** The first PEM certificate block in a text (a chain or a bundle), or null. */
export function firstCertificate(text: string): string | null {
  return /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(text)?.[0] ?? null;
}

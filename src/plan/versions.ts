/** Compares dotted versions such as "20.10.24+dfsg1" or "1.13.1" numerically. */
export function atLeast(version: string, minimum: string): boolean {
  const parse = (v: string) => (v.match(/\d+(\.\d+)*/)?.[0] ?? '0').split('.').map(Number);
  const a = parse(version);
  const b = parse(minimum);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

// Server identity check (RFC 6125, as RFC 8446 §4.4.2.2 / RFC 9525 apply it to TLS):
// - a host name is matched only against subjectAltName dNSName entries, never the subject CN;
// - an IP literal is matched only against iPAddress entries, byte for byte;
// - a wildcard is allowed only as the whole leftmost label ("*.example.com"), matches exactly one
//   non-empty label, and needs at least two labels after it ("*.com" matches nothing);
// - comparison is ASCII case-insensitive; one trailing dot is ignored.
// Names with non-ASCII characters must be given as A-labels (punycode); they never match otherwise.

export type ServerIdentity = { kind: 'dns'; name: string } | { kind: 'ip'; bytes: Uint8Array; text: string };

/** Parses dotted-quad IPv4 (strict: four decimal parts 0-255, no leading zeros). */
function parseIPv4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** Parses an IPv6 literal (with optional brackets, optional embedded IPv4 tail, no zone id). */
function parseIPv6(input: string): Uint8Array | undefined {
  let s = input;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (!s.includes(':') || s.includes('%')) return undefined;
  const groups: number[] = [];
  const parseSide = (side: string): number[] | undefined => {
    if (side === '') return [];
    const out: number[] = [];
    const items = side.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (i === items.length - 1 && it.includes('.')) {
        const v4 = parseIPv4(it);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(it)) return undefined;
        out.push(parseInt(it, 16));
      }
    }
    return out;
  };
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  if (halves.length === 2) {
    const a = parseSide(halves[0]!);
    const b = parseSide(halves[1]!);
    if (!a || !b || a.length + b.length > 7) return undefined;
    groups.push(...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b);
  } else {
    const a = parseSide(s);
    if (!a || a.length !== 8) return undefined;
    groups.push(...a);
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => { out[2 * i] = g >> 8; out[2 * i + 1] = g & 0xff; });
  return out;
}

/** Classifies a server name as an IP literal or a DNS name; undefined if it is neither (e.g. empty, non-ASCII). */
export function parseServerIdentity(serverName: string): ServerIdentity | undefined {
  const v4 = parseIPv4(serverName);
  if (v4) return { kind: 'ip', bytes: v4, text: serverName };
  const v6 = parseIPv6(serverName);
  if (v6) return { kind: 'ip', bytes: v6, text: serverName };
  let name = serverName.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name.length === 0 || name.length > 253) return undefined;
  const labels = name.split('.');
  for (const l of labels) {
    if (l.length === 0 || l.length > 63 || !/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/.test(l)) return undefined;
  }
  // An all-numeric last label is a malformed IP literal (e.g. "256.0.0.1", "010.0.0.1"), never a host name.
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return undefined;
  return { kind: 'dns', name };
}

/** True when the dNSName pattern from a certificate covers `host` (already normalised by parseServerIdentity). */
export function dnsNameMatches(pattern: string, host: string): boolean {
  let p = pattern.toLowerCase();
  if (p.endsWith('.')) p = p.slice(0, -1);
  if (p.length === 0) return false;
  if (!p.includes('*')) return p === host;
  const pl = p.split('.');
  const hl = host.split('.');
  // Only a whole leftmost "*" label, at least two labels after it, no other '*'.
  if (pl[0] !== '*' || pl.slice(1).some((l) => l.includes('*') || l.length === 0) || pl.length < 3) return false;
  if (hl.length !== pl.length || hl[0]!.length === 0) return false;
  for (let i = 1; i < pl.length; i++) if (pl[i] !== hl[i]) return false;
  return true;
}

/** True when any SAN entry of the certificate covers the identity. */
export function identityMatches(id: ServerIdentity, dnsNames: readonly string[], ips: readonly Uint8Array[]): boolean {
  if (id.kind === 'ip') {
    return ips.some((ip) => ip.length === id.bytes.length && ip.every((b, i) => b === id.bytes[i]));
  }
  return dnsNames.some((d) => dnsNameMatches(d, id.name));
}

/** A small built-in list of multi-label public suffixes (CABF BR §3.2.2.6: no wildcard directly under a
 *  "registry-controlled" or public suffix). Every single-label suffix (a TLD: "*.com", "*.uk") is covered by
 *  the label count alone. Limits: this is not the Public Suffix List (about 10,000 entries, changing weekly);
 *  a wildcard directly under a private or less common suffix that is missing here is not refused by this rule. */
export const PUBLIC_SUFFIXES: ReadonlySet<string> = new Set([
  'co.uk', 'org.uk', 'ac.uk', 'gov.uk', 'ltd.uk', 'plc.uk', 'me.uk', 'net.uk', 'sch.uk', 'nhs.uk',
  'com.au', 'net.au', 'org.au', 'edu.au', 'gov.au', 'co.nz', 'org.nz', 'co.jp', 'ne.jp', 'or.jp', 'ac.jp', 'go.jp',
  'co.kr', 'or.kr', 'com.cn', 'net.cn', 'org.cn', 'gov.cn', 'com.hk', 'com.tw', 'com.sg', 'com.br', 'net.br', 'gov.br',
  'com.mx', 'com.ar', 'co.in', 'net.in', 'org.in', 'gov.in', 'co.za', 'org.za', 'com.tr', 'com.ru', 'co.il', 'com.ua',
  'github.io', 'gitlab.io', 'herokuapp.com', 'appspot.com', 'blogspot.com', 'azurewebsites.net', 'cloudfront.net',
  'amazonaws.com', 's3.amazonaws.com', 'netlify.app', 'vercel.app', 'pages.dev', 'workers.dev', 'web.app', 'firebaseapp.com',
  'fly.dev', 'onrender.com', 'ngrok.io', 'duckdns.org', 'dyndns.org', 'no-ip.org',
]);

/** True when a dNSName is a wildcard directly under a public suffix ("*.com", "*.co.uk", "*.github.io"). */
export function wildcardUnderPublicSuffix(dnsName: string): boolean {
  const n = dnsName.toLowerCase();
  if (!n.startsWith('*.')) return false;
  const rest = n.slice(2);
  return !rest.includes('.') || PUBLIC_SUFFIXES.has(rest);
}

// RFC 6125 name matching, unit level: wildcard rules, IP literal parsing, normalisation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { dnsNameMatches, parseServerIdentity, identityMatches } from '../../runtime/x509/index.ts';

const host = (s: string): string => {
  const id = parseServerIdentity(s);
  if (id?.kind !== 'dns') throw new Error(`${s} is not a DNS name`);
  return id.name;
};

test('exact names match case-insensitively, a trailing dot on either side is ignored', () => {
  assert.ok(dnsNameMatches('Example.COM', host('example.com')));
  assert.ok(dnsNameMatches('example.com.', host('EXAMPLE.com.')));
  assert.not.ok(dnsNameMatches('example.com', host('www.example.com')));
  assert.not.ok(dnsNameMatches('', host('example.com')));
});

test('wildcard only as the whole leftmost label, matching exactly one label', () => {
  assert.ok(dnsNameMatches('*.example.com', host('www.example.com')));
  assert.not.ok(dnsNameMatches('*.example.com', host('example.com')));
  assert.not.ok(dnsNameMatches('*.example.com', host('a.b.example.com')));
  assert.not.ok(dnsNameMatches('w*.example.com', host('www.example.com')));
  assert.not.ok(dnsNameMatches('*w.example.com', host('www.example.com')));
  assert.not.ok(dnsNameMatches('www.*.com', host('www.example.com')));
  assert.not.ok(dnsNameMatches('*.*.example.com', host('a.b.example.com')));
});

test('a wildcard needs two labels after it: *.com matches nothing', () => {
  assert.not.ok(dnsNameMatches('*.com', host('example.com')));
  assert.not.ok(dnsNameMatches('*', host('localhost')));
});

test('IP literals parse strictly and match only iPAddress entries', () => {
  const v4 = parseServerIdentity('10.0.0.1');
  assert.equal(v4?.kind, 'ip');
  assert.ok(identityMatches(v4!, ['10.0.0.1'], [new Uint8Array([10, 0, 0, 1])]));
  assert.not.ok(identityMatches(v4!, ['10.0.0.1'], []), 'a dNSName spelling the IP must not match');
  assert.is.not(parseServerIdentity('010.0.0.1')?.kind, 'ip', 'leading zeros are not an IPv4 literal');
  assert.is(parseServerIdentity('256.0.0.1'), undefined);
  const v6 = parseServerIdentity('2001:db8::1');
  assert.equal(v6?.kind, 'ip');
  const bytes = new Uint8Array(16); bytes[0] = 0x20; bytes[1] = 0x01; bytes[2] = 0x0d; bytes[3] = 0xb8; bytes[15] = 1;
  assert.ok(identityMatches(v6!, [], [bytes]));
  assert.equal(parseServerIdentity('::ffff:1.2.3.4')?.kind, 'ip');
  assert.is(parseServerIdentity('1::2::3'), undefined);
});

test('wildcards never match an IP literal', () => {
  const v4 = parseServerIdentity('1.2.3.4')!;
  assert.not.ok(identityMatches(v4, ['*.2.3.4'], []));
});

test('non-ASCII, empty and over-long names are refused (must be A-labels)', () => {
  assert.is(parseServerIdentity('bücher.example'), undefined);
  assert.is(parseServerIdentity(''), undefined);
  assert.is(parseServerIdentity('.'), undefined);
  assert.is(parseServerIdentity(`${'a'.repeat(64)}.example`), undefined);
  assert.is(parseServerIdentity('a..b'), undefined);
});

test('any string is classified without throwing, and an accepted DNS name matches itself exactly (property)', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.domain(), fc.ipV4(), fc.ipV6()), (s) => {
    const id = parseServerIdentity(s);
    if (id?.kind === 'dns') {
      if (!dnsNameMatches(id.name, id.name)) throw new Error(`${id.name} does not match itself`);
      if (!dnsNameMatches(id.name.toUpperCase(), id.name)) throw new Error('case matters');
    }
  }), { numRuns: 2000 });
});

test('every IPv4/IPv6 literal fast-check makes parses as an IP and matches its own bytes only (property)', () => {
  fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (s) => {
    const id = parseServerIdentity(s);
    if (id?.kind !== 'ip') throw new Error(`${s} not parsed as IP`);
    if (!identityMatches(id, [], [id.bytes])) throw new Error('no self match');
    const other = new Uint8Array(id.bytes);
    other[other.length - 1] = other[other.length - 1]! ^ 1;
    if (identityMatches(id, [s], [other])) throw new Error('matched a different address or a dNSName');
  }), { numRuns: 1000 });
});

test.run();

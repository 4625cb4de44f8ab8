// The Kaitai expression subset: a Pratt parser with Kaitai's (Python's) precedence, no eval anywhere.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate, ExprSyntaxError, parseExpr, show } from '../../generator/codec/expr.ts';
import { ROOT } from './support.ts';

const env = (vals: Record<string, unknown>) => ({
  lookup: (n: string): unknown => vals[n],
  parent: (n: string): unknown => (vals._parent as Record<string, unknown> | undefined)?.[n],
  enumValue: (path: readonly string[], value: string): bigint => (path.join('::') === 'kind' && value === 'b' ? 2n : -1n),
});
const ev = (src: string, vals: Record<string, unknown> = {}): unknown => evaluate(parseExpr(src), env(vals));

test('arithmetic precedence: * before +, parentheses override', () => {
  assert.is(ev('1 + 2 * 3'), 7n);
  assert.is(ev('(1 + 2) * 3'), 9n);
  assert.is(ev('10 - 4 - 3'), 3n);
  assert.is(ev('7 / 2'), 3n);
  assert.is(ev('-7 / 2'), -4n, 'integer division floors like Kaitai');
  assert.is(ev('-7 % 3'), 2n, 'modulo is non-negative like Kaitai');
});

test('comparisons bind looser than bitwise operators (flags & 1 == 1 is (flags & 1) == 1)', () => {
  assert.is(ev('flags & 1 == 1', { flags: 3 }), true);
  assert.is(show(parseExpr('flags & 1 == 1')), '(flags & 1) == 1'.replace(/[()]/g, ''));
  assert.is(ev('a | b ^ c & d', { a: 1, b: 2, c: 6, d: 4 }), 7n);
  assert.is(ev('1 << 2 + 1'), 8n);
});

test('not, and, or, ternary', () => {
  assert.is(ev('not a == 1 and b > 2 or c', { a: 2, b: 3, c: false }), true);
  assert.is(ev('x > 1 ? 10 : 20', { x: 5 }), 10n);
  assert.is(ev('x > 1 ? 10 : y == 0 ? 30 : 40', { x: 0, y: 0 }), 30n);
});

test('hex, binary, octal and underscore literals', () => {
  assert.is(ev('0xff + 0b101 + 0o17 + 1_000'), 255n + 5n + 15n + 1000n);
});

test('enum references, members, byte arrays and byte-array equality', () => {
  assert.is(ev('k == kind::b', { k: 2 }), true);
  assert.equal(parseExpr('common::content_type::alert'), { kind: 'enum', path: ['common', 'content_type'], value: 'alert' });
  assert.is(ev('data.length', { data: Uint8Array.of(1, 2, 3) }), 3n);
  assert.is(ev('[0xcf, 0x21] == magic', { magic: Uint8Array.of(0xcf, 0x21) }), true);
  assert.is(ev('[0xcf, 0x21] != magic', { magic: Uint8Array.of(0xcf, 0x22) }), true);
  assert.is(ev('_parent.level + 1', { _parent: { level: 4 } }), 5n);
});

test('string literals: "..." with escapes, \'...\' verbatim', () => {
  assert.equal(parseExpr('"a\\tb" == x'), { kind: 'binary', op: '==', left: { kind: 'str', value: 'a\tb' }, right: { kind: 'name', name: 'x' } });
  assert.equal(parseExpr("'a\\tb'"), { kind: 'str', value: 'a\\tb' });
});

test('syntax errors carry a message and column, never evaluate anything', () => {
  for (const [src, re] of [
    ['a +', /unexpected end/],
    ['(a', /expected '\)'/],
    ['a b', /unexpected 'b' after the expression/],
    ['"str', /unterminated string literal/],
    ['1.5', /floating-point/],
    ['[256]', /0\.\.255/],
    ['a $ b', /unexpected character/],
  ] as const) {
    try {
      parseExpr(src);
      assert.unreachable(`parsed ${src}`);
    } catch (e) {
      assert.instance(e, ExprSyntaxError);
      assert.match((e as Error).message, re);
    }
  }
});

test('no eval or new Function anywhere in the generator or the codec runtime', () => {
  const scan = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? scan(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
  for (const f of [...scan(join(ROOT, 'generator', 'codec')), ...scan(join(ROOT, 'runtime', 'codec'))]) {
    const src = readFileSync(f, 'utf8');
    assert.not.match(src, /\beval\s*\(|new\s+Function\s*\(/, f);
  }
});

test('casts parse as x.as<type> (spec::type too), bind like members, and leave the value as is', () => {
  assert.equal(parseExpr('body.as<pair>.second'), { kind: 'member', object: { kind: 'cast', object: { kind: 'name', name: 'body' }, type: 'pair' }, name: 'second' });
  assert.is(show(parseExpr('a.as<common::pair>.x + 1')), 'a.as<common::pair>.x + 1');
  assert.is(ev('n.as<u4> * 2', { n: 21 }), 42n);
  assert.throws(() => parseExpr('a.as<>'), (e: unknown) => e instanceof ExprSyntaxError);
  assert.throws(() => parseExpr('a.as<u4'), (e: unknown) => e instanceof ExprSyntaxError);
});

test('sizeof<type> parses as a primary (sizeof<a::b> too); a field named sizeof stays a name', () => {
  assert.equal(parseExpr('sizeof<pair> + 1'), { kind: 'binary', op: '+', left: { kind: 'sizeof', type: 'pair' }, right: { kind: 'int', value: 1n } });
  assert.is(show(parseExpr('16 - sizeof<common::hdr>')), '16 - sizeof<common::hdr>');
  assert.equal(parseExpr('sizeof + 1'), { kind: 'binary', op: '+', left: { kind: 'name', name: 'sizeof' }, right: { kind: 'int', value: 1n } });
});

test.run();

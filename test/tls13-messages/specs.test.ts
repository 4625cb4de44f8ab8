// Checks on the TLS 1.3 spec files themselves, independent of any generator.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'yaml';
import { specFiles } from '../differential/kaitai.ts';

interface Ksy { meta: { id: string; imports?: string[] }; enums?: Record<string, unknown>; '-iana'?: Record<string, string>; types?: Record<string, Ksy> }
const specs = specFiles('tls13').map((p) => ({ file: basename(p), ksy: parse(readFileSync(p, 'utf8')) as Ksy }));

test('every enum in the TLS specs cites its IANA registry in -iana', () => {
  let n = 0;
  const visit = (t: Ksy, where: string): void => {
    for (const name of Object.keys(t.enums ?? {})) {
      const url = t['-iana']?.[name];
      assert.ok(url !== undefined, `${where}: enum ${name} has no -iana entry`);
      assert.match(url, /^https:\/\/www\.iana\.org\/assignments\/tls-(parameters|extensiontype-values)\//, `${where}: ${name}`);
      n++;
    }
    for (const name of Object.keys(t['-iana'] ?? {})) assert.ok(t.enums?.[name] !== undefined, `${where}: -iana names unknown enum ${name}`);
    for (const [id, sub] of Object.entries(t.types ?? {})) visit(sub, `${where}/types/${id}`);
  };
  for (const s of specs) visit(s.ksy, s.file);
  assert.ok(n >= 12, `${n} enums`);
});

test('every spec file is named after its meta.id and imports only spec files that exist', () => {
  const ids = new Set(specs.map((s) => s.ksy.meta.id));
  for (const s of specs) {
    assert.is(`${s.ksy.meta.id}.ksy`, s.file);
    for (const i of s.ksy.meta.imports ?? []) assert.ok(ids.has(i), `${s.file} imports ${i}`);
  }
});

test('enum names are lower snake case and no code point is named twice', () => {
  for (const s of specs) {
    for (const [name, values] of Object.entries(s.ksy.enums ?? {})) {
      const seen = new Set<string>();
      for (const v of Object.values(values as Record<string, string | { id: string }>)) {
        const id = typeof v === 'string' ? v : v.id;
        assert.match(id, /^[a-z][a-z0-9_]*$/, `${s.file} ${name}: ${id}`);
        assert.not.ok(seen.has(id), `${s.file} ${name}: ${id} twice`);
        seen.add(id);
      }
    }
  }
});

test.run();

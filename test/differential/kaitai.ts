// Compiles specs/<protocol>/messages/*.ksy with the reference kaitai-struct-compiler (npm, 0.11) to
// JavaScript and loads the emitted UMD/CommonJS modules, so tests and benchmarks can parse the same bytes
// with Kaitai's own parsers. Everything is compiled in memory; the modules are written to a fresh temp
// directory (with a `node_modules` link so their `require('kaitai-struct/KaitaiStream')` resolves) and
// loaded with `require`.
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);
export const projectRoot = join(import.meta.dirname, '..', '..');

interface KaitaiCompiler {
  compile(lang: string, ksy: unknown, importer: { importYaml(name: string, mode: string): Promise<unknown> } | null, debug: boolean): Promise<Record<string, string>>;
  version: string;
}
const compiler = require('kaitai-struct-compiler') as KaitaiCompiler;
export const kaitaiVersion = compiler.version;

export function specFiles(protocol = 'tls13'): string[] {
  const dir = join(projectRoot, 'specs', protocol, 'messages');
  return readdirSync(dir).filter((f) => f.endsWith('.ksy')).sort().map((f) => join(dir, f));
}

/**
 * Compiles one .ksy (with its imports) to JavaScript: file name -> source. Relative imports are resolved
 * next to it, absolute ones (`/network/ipv4_packet`) under importRoot (ksc's -I).
 */
export async function compileKsy(path: string, importRoot?: string): Promise<Record<string, string>> {
  const dir = path.slice(0, path.lastIndexOf('/'));
  const importer = {
    importYaml: (name: string, mode: string): Promise<unknown> => {
      const abs = mode === 'abs' || name.startsWith('/');
      if (abs && importRoot === undefined) return Promise.reject(new Error(`absolute import ${name} without an import root`));
      return Promise.resolve(parse(readFileSync(abs ? join(importRoot!, `${name.replace(/^\//, '')}.ksy`) : join(dir, `${name}.ksy`), 'utf8')));
    },
  };
  try {
    return await compiler.compile('javascript', parse(readFileSync(path, 'utf8')), importer, false);
  } catch (e) {
    // The Scala.js bundle throws its own exception objects; surface their text.
    const text = (e as { s$1?: string; jl_Throwable__f_s?: string; message?: string });
    throw new Error(`kaitai-struct-compiler rejected ${path}: ${text.jl_Throwable__f_s ?? text.message ?? String(e)}`);
  }
}

/** A Kaitai-generated parser class: `new C(new KaitaiStream(bytes), parent, root, ...params)`. */
export type KaitaiClass = new (io: unknown, parent?: unknown, root?: unknown, ...params: unknown[]) => KaitaiObject;
export type KaitaiObject = Record<string, unknown>;

export interface KaitaiModules {
  /** The top-level class of each spec file, by meta.id (`handshake` -> Handshake). */
  readonly classes: Record<string, KaitaiClass & Record<string, unknown>>;
  /** `new KaitaiStream(bytes)` */
  stream(bytes: Uint8Array): unknown;
  dispose(): void;
}

const pascal = (id: string): string => id.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');

export async function loadKaitai(protocol = 'tls13'): Promise<KaitaiModules> {
  return loadKaitaiSpecs(specFiles(protocol));
}

/** Compiles the given .ksy files (and their imports) with Kaitai and loads the classes by meta.id. */
export async function loadKaitaiSpecs(paths: readonly string[], importRoot?: string): Promise<KaitaiModules> {
  const dir = mkdtempSync(join(tmpdir(), 'protosmith-kaitai-'));
  symlinkSync(join(projectRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const ids: string[] = [];
  for (const path of paths) {
    const files = await compileKsy(path, importRoot);
    for (const [name, code] of Object.entries(files)) writeFileSync(join(dir, name), code);
    const id = (parse(readFileSync(path, 'utf8')) as { meta: { id: string } }).meta.id;
    ids.push(id);
  }
  const load = createRequire(join(dir, 'index.js'));
  const classes: Record<string, KaitaiClass & Record<string, unknown>> = {};
  for (const id of ids) {
    const mod = load(`./${pascal(id)}.js`) as Record<string, KaitaiClass & Record<string, unknown>>;
    const cls = mod[pascal(id)];
    if (!cls) throw new Error(`Kaitai module ${pascal(id)}.js has no export ${pascal(id)}`);
    classes[id] = cls;
  }
  const KaitaiStream = load('kaitai-struct/KaitaiStream') as new (b: ArrayBuffer | Uint8Array) => unknown;
  return {
    classes,
    stream: (bytes) => new KaitaiStream(bytes),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

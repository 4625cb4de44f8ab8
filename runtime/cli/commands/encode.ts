// protosmith encode <protocol>/<Type> FILE.json [--param name=value]...: the JSON form printed by
// `protosmith decode` back to bytes, printed as hex. Lengths and counts are derived, so the JSON omits them.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { EncodeError } from '../../codec/index.ts';
import { findType, fromJson, JsonShapeError, parseParams } from '../../../generator/codec/json.ts';
import { projectRoot } from '../root.ts';
import { collect } from './decode.ts';

const USAGE = 'usage: protosmith encode <protocol>/<Type> FILE.json [--param name=value]...\n';

export async function run(args: string[]): Promise<number> {
  const params = collect(args, '--param');
  const [ref, file, ...extra] = params.rest;
  if (ref === undefined || file === undefined || extra.length > 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  const found = findType(projectRoot(), ref);
  if ('error' in found) {
    process.stderr.write(`protosmith encode: ${found.error}\n`);
    return 2;
  }
  const p = parseParams(found.program, found.type, params.values);
  if (typeof p === 'string') {
    process.stderr.write(`protosmith encode: ${p}\n`);
    return 2;
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    process.stderr.write(`protosmith encode: cannot read ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  const mod = (await import(pathToFileURL(found.module).href)) as Record<string, unknown>;
  const encode = mod[`encode${found.type.tsName}`] as (v: unknown, ...params: unknown[]) => Uint8Array;
  try {
    const value = fromJson(found.program, found.type, json, p, undefined);
    const bytes = encode(value, ...found.type.params.map((x) => p[x.id]));
    process.stdout.write(`${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')}\n`);
    return 0;
  } catch (e) {
    if (e instanceof EncodeError) {
      process.stderr.write(`encode error (${e.code}): ${e.path}\n  expected: ${e.expected}\n  actual:   ${e.actual}\n`);
      return 1;
    }
    if (e instanceof JsonShapeError) {
      process.stderr.write(`protosmith encode: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

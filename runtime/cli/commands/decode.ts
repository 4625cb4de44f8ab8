// protosmith decode <protocol>/<Type> (--hex HEX | FILE) [--param name=value]...: decodes with the generated
// codec and prints the value as JSON (bytes as hex strings, u8 as decimal strings). On a DecodeError prints
// its path, offset, expected, actual and alert, and exits 1.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DecodeError } from '../../codec/index.ts';
import { findType, hexToBytes, JsonShapeError, parseParams, toJson } from '../../../generator/codec/json.ts';
import { projectRoot } from '../root.ts';

const USAGE = 'usage: protosmith decode <protocol>/<Type> (--hex HEX | FILE) [--param name=value]...\n';

export function collect(args: string[], flag: string): { values: string[]; rest: string[] } {
  const values: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag && args[i + 1] !== undefined) values.push(args[++i]!);
    else rest.push(args[i]!);
  }
  return { values, rest };
}

export async function run(args: string[]): Promise<number> {
  const params = collect(args, '--param');
  const hexes = collect(params.rest, '--hex');
  const [ref, file, ...extra] = hexes.rest;
  if (ref === undefined || extra.length > 0 || (hexes.values.length === 0) === (file === undefined) || hexes.values.length > 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const found = findType(projectRoot(), ref);
  if ('error' in found) {
    process.stderr.write(`protosmith decode: ${found.error}\n`);
    return 2;
  }
  const p = parseParams(found.program, found.type, params.values);
  if (typeof p === 'string') {
    process.stderr.write(`protosmith decode: ${p}\n`);
    return 2;
  }
  let bytes: Uint8Array;
  try {
    bytes = hexes.values[0] !== undefined ? hexToBytes(hexes.values[0], '--hex') : new Uint8Array(readFileSync(file!));
  } catch (e) {
    if (e instanceof JsonShapeError || (e as { code?: string }).code === 'ENOENT') {
      process.stderr.write(`protosmith decode: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
  const mod = (await import(pathToFileURL(found.module).href)) as Record<string, unknown>;
  const decode = mod[`decode${found.type.tsName}`] as (b: Uint8Array, ...params: unknown[]) => unknown;
  try {
    const value = decode(bytes, ...found.type.params.map((x) => p[x.id]));
    process.stdout.write(`${JSON.stringify(toJson(value), null, 2)}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    process.stderr.write(
      `decode error (${e.code}): ${e.path}\n  offset:   ${e.offset}\n  expected: ${e.expected}\n  actual:   ${e.actual}\n  alert:    ${e.alert}\n`,
    );
    return 1;
  }
}

// The explorer's driver for the knock toy server (./engine.ts): how to start an engine, how to make
// each event of specs/knock/machines/server.json happen to it, and how to read back its state and its
// answer. This is the whole of what a protocol needs to be explored (docs/writing-a-driver.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Driver, Infeasible, Observed, PlannedStep } from '../../runtime/explore/index.ts';
import { serverTable } from '../../generated/knock/machines/server.ts';
import type { MachineTable } from '../../runtime/machine/index.ts';
import { KnockError, KnockServer, MessageType } from './engine.ts';

const KEY = Uint8Array.of(7, 1, 9, 3);

export interface KnockRun { readonly server: KnockServer; challenge: Uint8Array | undefined; counter: number }

const frame = (type: number, payload: Uint8Array): Uint8Array => { const m = new Uint8Array(2 + payload.length); m[0] = type; m[1] = payload.length; m.set(payload, 2); return m; };

export interface KnockDriverOptions {
  /** Replace the engine's table (seeded bugs: a table lookup wrapped to flip one answer). */
  readonly engineTable?: MachineTable;
  /** Replace one of the engine's guard or action implementations on every engine the driver makes. */
  readonly patch?: (server: KnockServer) => void;
}

export function knockDriver(options: KnockDriverOptions = {}): Driver<KnockRun> {
  const spec = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'specs', 'knock', 'machines', 'server.json'), 'utf8')) as object;
  return {
    name: 'knock/server',
    table: serverTable,
    spec,
    // One configuration is enough: the only guard (keyCorrect) is a property of the Key message,
    // which inject() makes right or wrong as the planned step says.
    scenarios: () => [{}],
    async begin(): Promise<KnockRun> {
      let n = 0;
      const server = new KnockServer({ key: KEY, random: () => Uint8Array.of(++n, 0x55, 0xaa, n * 3) }, options.engineTable);
      options.patch?.(server);
      return { server, challenge: undefined, counter: 0 };
    },
    async inject(run: KnockRun, step: PlannedStep): Promise<Observed | Infeasible> {
      const s = run.server;
      const before = s.state;
      const ended = before === 'ERROR' || before === 'CLOSED';
      let refused: string | undefined;
      try {
        switch (step.event) {
          case 'Hello': s.receive(frame(MessageType.Hello, new Uint8Array(0))); break;
          case 'Key': {
            const ch = run.challenge ?? new Uint8Array(4);
            const right = step.free === true || step.facts.keyCorrect !== false;
            const proof = ch.map((b, i) => (b ^ KEY[i]!) ^ (right ? 0 : 0xff));
            s.receive(frame(MessageType.Key, proof));
            break;
          }
          case 'Data': s.receive(frame(MessageType.Data, Uint8Array.of(++run.counter))); break;
          case 'Bye': s.receive(frame(MessageType.Bye, new Uint8Array(0))); break;
          case 'Send': s.send(Uint8Array.of(0x42)); break;
          case 'Close': s.close(); break;
          default: return { infeasible: `knock has no event ${step.event}` };
        }
      } catch (e) {
        if (!(e instanceof KnockError)) return { state: s.state, answer: { kind: 'crash', detail: String(e) }, effects: [] };
        refused = `${e.code}: ${e.message}`;
      }
      const out = s.takeOutput();
      const effects: string[] = [];
      let alert: string | undefined;
      for (const m of out) {
        if (m[0] === MessageType.Error) alert = new TextDecoder().decode(m.subarray(2));
        else effects.push(`sent message 0x${m[0]!.toString(16)}`);
        if (m[0] === MessageType.Challenge) run.challenge = m.slice(2, 6);
      }
      for (const d of s.takeReceived()) effects.push(`delivered ${d.length} byte(s) of data`);
      if (ended && alert === undefined && s.state === before && effects.length === 0) return { state: s.state, answer: { kind: 'absorbed' }, effects };
      if (refused !== undefined) return { state: s.state, answer: { kind: 'refused', detail: refused }, effects };
      if (alert !== undefined) return { state: s.state, answer: { kind: 'alert', alert }, effects };
      return { state: s.state, answer: { kind: 'ok' }, effects };
    },
  };
}

/** What `protosmith explore knock/server --driver examples/knock/driver.ts` calls. */
export function createDriver(role: string): Driver<KnockRun> {
  if (role !== 'server') throw new RangeError(`knock has one role, server (not '${role}')`);
  return knockDriver();
}

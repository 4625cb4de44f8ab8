// knock: a toy sans-IO server driven by its generated table (specs/knock/machines/server.json), the
// smallest complete example of "the engine is the table": messages in, messages out, and every order
// decision is step() on generated/knock/machines/server.ts. The explorer checks it with ./driver.ts.
//
// Wire format (one message per receive()): type(1) length(1) payload(length).
//   client → server: 1 Hello, 2 Key (payload = HMAC-free toy proof: challenge XOR key), 3 Data, 4 Bye
//   server → client: 0x81 Challenge(4 bytes), 0x82 Welcome, 0x83 Data, 0x84 Bye, 0xff Error(name)
import { step, type MachineTable } from '../../runtime/machine/index.ts';
import { ServerAction, ServerGuard, serverTable, type ServerImplementations } from '../../generated/knock/machines/server.ts';

const isGuard = (n: string): n is ServerGuard => Object.values<string>(ServerGuard).includes(n);
const isAction = (n: string): n is ServerAction => Object.values<string>(ServerAction).includes(n);

export const MessageType = { Hello: 1, Key: 2, Data: 3, Bye: 4, Challenge: 0x81, Welcome: 0x82, ServerData: 0x83, ServerBye: 0x84, Error: 0xff } as const;
const EVENT_OF: Record<number, string> = { 1: 'Hello', 2: 'Key', 3: 'Data', 4: 'Bye' };

/** Typed errors with stable codes, split by blame. */
export class KnockError extends Error {
  constructor(readonly code: 'KNOCK_PEER' | 'KNOCK_REFUSED' | 'KNOCK_ENDED', readonly blame: 'peer' | 'local', message: string, readonly alert?: string) {
    super(message);
    this.name = 'KnockError';
  }
}

export interface KnockConfig {
  readonly key: Uint8Array; // 4 bytes
  readonly random: () => Uint8Array; // 4 random bytes per challenge
}

export interface Message { readonly type: number; readonly payload: Uint8Array }

export class KnockServer {
  #state: string = serverTable.initial;
  #output: Uint8Array[] = [];
  #received: Uint8Array[] = [];
  #challenge = new Uint8Array(4);
  #pendingSend: Uint8Array | undefined;
  readonly #config: KnockConfig;
  readonly #table: MachineTable;
  /** The named guards and actions of the table (the generated interface, implemented without casts). */
  readonly impl: ServerImplementations<KnockServer, Message> = {
    guards: {
      keyCorrect: (s, m) => m.payload.length === 4 && m.payload.every((b, i) => b === ((s.#challenge[i]! ^ s.#config.key[i]!) & 0xff)),
    },
    actions: {
      sendChallenge: (s) => { s.#challenge = s.#config.random().slice(0, 4); s.#emit(MessageType.Challenge, s.#challenge); },
      sendWelcome: (s) => s.#emit(MessageType.Welcome, new Uint8Array(0)),
      deliverData: (s, m) => { s.#received.push(m.payload.slice()); },
      sendData: (s) => { s.#emit(MessageType.ServerData, s.#pendingSend ?? new Uint8Array(0)); },
      sendBye: (s) => s.#emit(MessageType.ServerBye, new Uint8Array(0)),
    },
  };

  constructor(config: KnockConfig, table: MachineTable = serverTable) {
    this.#config = config;
    this.#table = table;
  }

  get state(): string { return this.#state; }
  /** Data received from the client since the last call. */
  takeReceived(): Uint8Array[] { const r = this.#received; this.#received = []; return r; }
  takeOutput(): Uint8Array[] { const o = this.#output; this.#output = []; return o; }

  /** One message from the client. A message the table rejects sends Error(alert) and ends in ERROR. */
  receive(bytes: Uint8Array): void {
    if (this.#table.absorbing.includes(this.#state)) return;
    const type = bytes[0];
    const len = bytes[1];
    const event = type === undefined ? undefined : EVENT_OF[type];
    if (event === undefined || len === undefined || bytes.length !== 2 + len) {
      this.#fail('out_of_order', `malformed or unknown message (type ${String(type)}, ${bytes.length} bytes)`);
      return;
    }
    this.#dispatch(event, { type: type!, payload: bytes.subarray(2) });
  }

  /** Queue data for the client (only when OPEN). */
  send(data: Uint8Array): void { this.#pendingSend = data; try { this.#local('Send'); } finally { this.#pendingSend = undefined; } }
  close(): void { this.#local('Close'); }

  #local(event: string): void {
    const r = step(this.#table, this.#state, event, (g) => this.#guard(g, { type: 0, payload: new Uint8Array(0) }));
    if (r.kind === 'rejection') {
      throw new KnockError(this.#table.absorbing.includes(this.#state) ? 'KNOCK_ENDED' : 'KNOCK_REFUSED', 'local', r.message);
    }
    for (const a of r.actions) this.#action(a, { type: 0, payload: new Uint8Array(0) });
    this.#state = r.target;
  }

  #dispatch(event: string, m: Message): void {
    const r = step(this.#table, this.#state, event, (g) => this.#guard(g, m));
    if (r.kind === 'rejection') {
      this.#fail(r.alert ?? 'out_of_order', r.message);
      return;
    }
    for (const a of r.actions) this.#action(a, m);
    this.#state = r.target;
  }

  #guard(name: string, m: Message): boolean {
    if (!isGuard(name)) throw new KnockError('KNOCK_REFUSED', 'local', `the table names guard ${name}, which the generated interface does not declare`);
    return this.impl.guards[name](this, m);
  }

  #action(name: string, m: Message): void {
    if (!isAction(name)) throw new KnockError('KNOCK_REFUSED', 'local', `the table names action ${name}, which the generated interface does not declare`);
    void this.impl.actions[name](this, m);
  }

  #fail(alert: string, why: string): void {
    this.#emit(MessageType.Error, new TextEncoder().encode(alert));
    this.#state = 'ERROR';
    void why;
  }

  #emit(type: number, payload: Uint8Array): void {
    const m = new Uint8Array(2 + payload.length);
    m[0] = type; m[1] = payload.length; m.set(payload, 2);
    this.#output.push(m);
  }
}

// Seeded bugs for the TLS 1.3 engine: each changes ONE behaviour of the engine under test (never the
// table the model reads), by changing what the engine consults — its table (a copy with one cell changed),
// one guard, or one action (runtime/tls/connection.ts keeps them as the members `table` and
// `implementations.{guards,actions}`, the generated <Role>Implementations). The
// explorer must catch each one (test/explore/tls-seeded.test.ts).
import { overrideMember, withCell } from '../seeded.ts';
import type { MachineTable } from '../../machine/index.ts';
import type { EngineSeams, Role } from './driver.ts';

export interface TlsSeededBug {
  readonly name: string;
  readonly role: Role;
  readonly description: string;
  readonly patch: (e: EngineSeams) => void;
  /** Mutations the explorer needs to see this bug (a bad MAC is only visible on a mutated message). */
  readonly mutations?: readonly string[];
}

/** The engine's table (only the engine's) answers (state, event) as it answers (asState, asEvent). */
function answerAs(e: EngineSeams, state: string, event: string, asState: string, asEvent: string): void {
  // a candidate that stays in asState stays in state (a dropped message is dropped here too)
  overrideMember(e as unknown as Record<string, MachineTable>, 'table', (t) => withCell(t, state, event, t.transitions[asState]![asEvent]!.map((c) => (c.target === asState ? { ...c, target: state } : c))));
}

/** The engine's table (only the engine's) with its record protection (spec meta.readKeys) changed. */
function readKeysAs(e: EngineSeams, change: (rk: NonNullable<MachineTable['readKeys']>) => NonNullable<MachineTable['readKeys']>): void {
  overrideMember(e as unknown as Record<string, MachineTable>, 'table', (t) => ({ ...t, readKeys: change(t.readKeys!) }));
}

export const TLS_SEEDED_BUGS: readonly TlsSeededBug[] = [
  {
    name: 'certificate-verify-before-certificate', role: 'client',
    description: 'the client accepts CertificateVerify in WAIT_CERT_CR, before any Certificate',
    patch: (e) => answerAs(e, 'WAIT_CERT_CR', 'CertificateVerify', 'WAIT_CERT_VERIFY', 'CertificateVerify'),
  },
  {
    name: 'data-before-keys', role: 'server',
    description: 'the server delivers application data in WAIT_FINISHED, before the client Finished and the application keys',
    patch: (e) => answerAs(e, 'WAIT_FINISHED', 'ApplicationData', 'CONNECTED', 'ApplicationData'),
  },
  {
    name: 'ccs-after-handshake', role: 'client',
    description: 'the client drops a ChangeCipherSpec in CONNECTED instead of failing (RFC 8446 §5)',
    patch: (e) => answerAs(e, 'CONNECTED', 'ChangeCipherSpec', 'WAIT_FINISHED', 'ChangeCipherSpec'),
  },
  {
    name: 'skip-finished-check', role: 'server',
    description: 'the server ignores a client Finished whose verify_data does not match',
    mutations: ['flip-last'],
    patch: (e) => overrideMember(e.implementations.actions, 'verifyClientFinished', (orig) => async (ctx, msg) => {
      try { await orig(ctx, msg); } catch (err) { if ((err as { code?: string }).code !== 'TLS_BAD_FINISHED') throw err; }
    }),
  },
  {
    name: 'empty-certificate-guard-off', role: 'client',
    description: 'the client\'s certificateEmpty guard never holds (an empty server Certificate goes to path validation)',
    patch: (e) => overrideMember(e.implementations.guards, 'certificateEmpty', () => () => false),
  },
  {
    name: 'certificate-verify-not-sent', role: 'server',
    description: 'the server\'s sendCertificateVerify action sends nothing (the flight lacks CertificateVerify)',
    patch: (e) => overrideMember(e.implementations.actions, 'sendCertificateVerify', () => () => undefined),
  },
  {
    name: 'hello-retry-guard-off', role: 'server',
    description: 'the server\'s helloRetryRequired guard never holds (no HelloRetryRequest without a usable key share)',
    patch: (e) => overrideMember(e.implementations.guards, 'helloRetryRequired', () => () => false),
  },
  {
    name: 'plaintext-after-keys', role: 'client',
    description: 'the client\'s record layer reads WAIT_CERT_CR as plaintext: it takes an unprotected handshake record after encryption started (and refuses the protected one)',
    patch: (e) => readKeysAs(e, (rk) => ({ ...rk, states: { ...rk.states, WAIT_CERT_CR: 'plaintext' } })),
  },
  {
    name: 'wrong-keys-alert', role: 'server',
    description: 'the server answers a record under the wrong protection with decode_error instead of the table\'s readKeys alert',
    patch: (e) => readKeysAs(e, (rk) => ({ ...rk, alert: 'decode_error' })),
  },
];

// Hand-made seeded bugs: each must be rejected, naming the property it violates. They are the
// proofs' own test (a proof is trusted because it can fail), in the style of the classic TLS state
// machine bugs (SKIP-TLS, early CCS, FREAK-era skipped messages).
import type { MachineIR, TransitionIR } from '../machine/ir.ts';

export interface SeededBug {
  readonly name: string;
  readonly role: 'client' | 'server';
  readonly description: string;
  /** Properties any one of which must report the bug (IR or spin names). */
  readonly expect: readonly string[];
  /** A step of the spin counterexample that shows the seeded edge (see the model's trace lines). */
  readonly trace: string;
  readonly apply: (ir: MachineIR) => MachineIR;
}

/** Replaces the candidates of (from, event) by copies of `like`'s candidates (guards dropped) or by `edge`. */
function replacePair(ir: MachineIR, from: string, event: string, edges: TransitionIR[]): MachineIR {
  const out: TransitionIR[] = [];
  let placed = false;
  for (const t of ir.transitions) {
    if (t.from === from && t.event === event) {
      if (!placed) { out.push(...edges); placed = true; }
      continue;
    }
    out.push(t);
  }
  return { ...ir, transitions: out };
}

/** The unguarded candidate of (state, event), moved to `from`. */
function copyFallback(ir: MachineIR, state: string, event: string, from: string): TransitionIR {
  const cands = ir.transitions.filter((t) => t.from === state && t.event === event && !t.wildcard);
  const t = cands.find((c) => c.guard === undefined) ?? cands[cands.length - 1];
  if (t === undefined) throw new RangeError(`seeded bug: no ${state} --${event}--> edge to copy`);
  const { guard: _guard, ...rest } = t;
  return { ...rest, from, wildcard: false };
}

export const SEEDED_BUGS: readonly SeededBug[] = [
  {
    name: 'skip_tls_client_accepts_finished_in_wait_cert_cr',
    role: 'client',
    description: 'SKIP-TLS: the client accepts the server Finished in WAIT_CERT_CR (no PSK), skipping Certificate and CertificateVerify',
    expect: ['client_connected_only_after_server_certificate_verify_unless_psk'],
    trace: 'client WAIT_CERT_CR --Finished--> CONNECTED',
    apply: (ir) => replacePair(ir, 'WAIT_CERT_CR', 'Finished', [copyFallback(ir, 'WAIT_FINISHED', 'Finished', 'WAIT_CERT_CR')]),
  },
  {
    name: 'skip_certificate_verify',
    role: 'client',
    description: 'the client accepts Finished in WAIT_CERT_VERIFY, skipping the server CertificateVerify',
    expect: ['client_connected_only_after_server_certificate_verify_unless_psk'],
    trace: 'client WAIT_CERT_VERIFY --Finished--> CONNECTED',
    apply: (ir) => replacePair(ir, 'WAIT_CERT_VERIFY', 'Finished', [copyFallback(ir, 'WAIT_FINISHED', 'Finished', 'WAIT_CERT_VERIFY')]),
  },
  {
    name: 'early_change_cipher_spec',
    role: 'client',
    description: 'early CCS: a ChangeCipherSpec in WAIT_CERT_CR moves the client on to WAIT_FINISHED',
    expect: ['client_connected_only_after_server_certificate_verify_unless_psk', 'client_change_cipher_spec_ignored_only_during_handshake'],
    trace: 'client WAIT_CERT_CR --ChangeCipherSpec--> WAIT_FINISHED',
    apply: (ir) => replacePair(ir, 'WAIT_CERT_CR', 'ChangeCipherSpec', [{ ...copyFallback(ir, 'WAIT_CERT_CR', 'ChangeCipherSpec', 'WAIT_CERT_CR'), target: 'WAIT_FINISHED' }]),
  },
  {
    name: 'server_skips_requested_client_certificate',
    role: 'server',
    description: 'the server, having requested a client certificate, accepts the client Finished in WAIT_CERT',
    expect: ['server_connected_only_after_client_certificate_when_requested'],
    trace: 'server WAIT_CERT --Finished--> CONNECTED',
    apply: (ir) => replacePair(ir, 'WAIT_CERT', 'Finished', [copyFallback(ir, 'WAIT_FINISHED', 'Finished', 'WAIT_CERT')]),
  },
  {
    name: 'client_application_data_before_keys',
    role: 'client',
    description: 'the client delivers application data in WAIT_FINISHED, before the application read keys exist',
    expect: ['client_application_data_received_only_with_keys'],
    trace: 'client WAIT_FINISHED --ApplicationData--> WAIT_FINISHED',
    apply: (ir) => replacePair(ir, 'WAIT_FINISHED', 'ApplicationData', [{ ...copyFallback(ir, 'CONNECTED', 'ApplicationData', 'WAIT_FINISHED'), target: 'WAIT_FINISHED' }]),
  },
  {
    name: 'client_sends_change_cipher_spec_twice',
    role: 'client',
    description: 'the client names sendChangeCipherSpec again before its Finished (as the tables did while an engine flag kept it to one): after a HelloRetryRequest it would send two',
    expect: ['client_change_cipher_spec_sent_at_most_once'],
    trace: 'client WAIT_FINISHED --Finished--> CONNECTED',
    apply: (ir) => ({ ...ir, transitions: ir.transitions.map((t) => (t.from === 'WAIT_FINISHED' && t.event === 'Finished' && t.guard === undefined ? { ...t, actions: ['verifyServerFinished', 'sendChangeCipherSpec', ...t.actions.slice(1)] } : t)) }),
  },
  {
    name: 'server_reads_plaintext_in_wait_finished',
    role: 'server',
    description: 'the server table declares WAIT_FINISHED to read plaintext records although handshake read keys are installed on every path into it (an unprotected Finished would be taken)',
    expect: ['server_read_keys_match_the_table'],
    trace: 'server START --ClientHello--> WAIT_FINISHED',
    apply: (ir) => ({ ...ir, readKeys: { ...ir.readKeys!, states: { ...ir.readKeys!.states, WAIT_FINISHED: 'plaintext' } } }),
  },
  {
    name: 'client_keeps_plaintext_after_retried_server_hello',
    role: 'client',
    description: 'the client installs no handshake read keys on the ServerHello after a HelloRetryRequest (its records would be read under the wrong keys)',
    expect: ['client_read_keys_match_the_table'],
    trace: 'client WAIT_SECOND_SERVER_HELLO --ServerHello--> WAIT_ENCRYPTED_EXTENSIONS',
    apply: (ir) => ({ ...ir, transitions: ir.transitions.map((t) => (t.from === 'WAIT_SECOND_SERVER_HELLO' && t.event === 'ServerHello' ? { ...t, actions: t.actions.filter((a) => a !== 'installHandshakeReadKeys') } : t)) }),
  },
  {
    name: 'server_skips_unreadable_records_when_connected',
    role: 'server',
    description: 'the server skips records it cannot read in CONNECTED (application keys), where one is an attack, not rejected 0-RTT data',
    expect: ['server_skips_unreadable_records_only_for_rejected_early_data'],
    trace: 'server WAIT_FINISHED --Finished--> CONNECTED',
    apply: (ir) => ({ ...ir, readKeys: { ...ir.readKeys!, skip: { ...ir.readKeys!.skip, CONNECTED: 'earlyDataRejected' } } }),
  },
];

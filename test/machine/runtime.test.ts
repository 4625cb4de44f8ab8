// runtime/machine running the generated TLS 1.3 tables: whole handshakes per negotiated case, and
// the rejections the table must produce (typed, naming role, state, event and alert).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  step, MachineInstance, UnexpectedEventError, RefusedEventError, AbsorbedEventError, UnknownEventError, NoCandidateError, coverageOf,
  type MachineTable, type StepResult,
} from '../../runtime/machine/index.ts';
import { clientTable, ClientEvent, ClientState, type ClientGuard } from '../../generated/tls13/machines/client.ts';
import { serverTable, ServerEvent, type ServerGuard } from '../../generated/tls13/machines/server.ts';

const none = {};
type Facts<G extends string> = Partial<Record<G, boolean>>;

/** Runs events from the initial state; returns the states visited and the send/install actions in order. */
function run<S extends string, E extends string, G extends string, A extends string>(table: MachineTable<S, E, G, A>, events: E[], facts: Facts<G>) {
  const m = new MachineInstance(table);
  const actions: string[] = [];
  let last: StepResult<S, A> | undefined;
  for (const e of events) {
    last = m.send(e, facts);
    if (last.kind === 'rejection') return { state: m.state, actions, rejection: last };
    actions.push(...last.actions);
  }
  return { state: m.state, actions, rejection: undefined, last };
}
const sends = (actions: string[]): string[] => actions.filter((a) => a.startsWith('send') && a !== 'sendChangeCipherSpec');

test('client full handshake (certificate auth) reaches CONNECTED sending ClientHello then Finished', () => {
  const r = run(clientTable, ['Start', 'ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished'], none);
  assert.is(r.rejection, undefined);
  assert.is(r.state, 'CONNECTED');
  assert.equal(sends(r.actions), ['sendClientHello', 'sendFinished']);
  assert.ok(r.actions.indexOf('verifyServerCertificateVerify') < r.actions.indexOf('verifyServerFinished'));
  assert.ok(r.actions.indexOf('verifyServerFinished') < r.actions.indexOf('sendFinished'));
  assert.ok(r.actions.indexOf('installHandshakeWriteKeys') < r.actions.indexOf('sendFinished'));
});

test('client with middlebox compatibility CCS records interleaved still connects, and drops them without actions', () => {
  const r = run(clientTable, ['Start', 'ChangeCipherSpec', 'ServerHello', 'ChangeCipherSpec', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'ChangeCipherSpec', 'Finished'], none);
  assert.is(r.state, 'CONNECTED');
  const ccs = step(clientTable, 'WAIT_ENCRYPTED_EXTENSIONS', 'ChangeCipherSpec', none);
  assert.is(ccs.kind, 'transition');
  assert.is(ccs.target, 'WAIT_ENCRYPTED_EXTENSIONS');
  assert.equal([...ccs.actions], []);
});

test('client rejects Certificate in WAIT_SERVER_HELLO with unexpected_message, naming role, state and event', () => {
  const r = step(clientTable, 'WAIT_SERVER_HELLO', 'Certificate', none);
  assert.is(r.kind, 'rejection');
  if (r.kind !== 'rejection') return;
  assert.is(r.alert, 'unexpected_message');
  assert.is(r.target, 'ERROR');
  assert.instance(r.error, UnexpectedEventError);
  assert.is(r.error.code, 'MACHINE_UNEXPECTED_EVENT');
  assert.is(r.error.blame, 'peer');
  assert.is(r.error.role, 'client');
  assert.is(r.error.state, 'WAIT_SERVER_HELLO');
  assert.is(r.error.event, 'Certificate');
  assert.match(r.message, 'client in state WAIT_SERVER_HELLO cannot accept Certificate: sending unexpected_message');
  assert.match(r.message, 'specs/tls13/machines/client.json:');
});

test('client: ChangeCipherSpec before any ClientHello (START) is rejected with unexpected_message', () => {
  const r = step(clientTable, 'START', 'ChangeCipherSpec', none);
  assert.is(r.kind, 'rejection');
  assert.is(r.alert, 'unexpected_message');
});

test('server: ChangeCipherSpec before any ClientHello starts a stateless retry that accepts only a second ClientHello', () => {
  const m = new MachineInstance(serverTable);
  assert.is(m.send('ChangeCipherSpec', none).target, 'WAIT_RETRIED_CLIENT_HELLO');
  const first = step(serverTable, 'WAIT_RETRIED_CLIENT_HELLO', 'ClientHello', none);
  assert.is(first.kind, 'rejection');
  assert.is(first.alert, 'unexpected_message');
  assert.is(m.send('SecondClientHello', none).target, 'WAIT_FINISHED');
});

test('server: a first ClientHello replayed after the HelloRetryRequest (no cookie) fails with handshake_failure', () => {
  const r = run(serverTable, ['ClientHello', 'ClientHello'], { helloRetryRequired: true });
  assert.is(r.rejection?.from, 'WAIT_SECOND_CLIENT_HELLO');
  assert.is(r.rejection?.alert, 'handshake_failure');
});

for (const [name, table] of [['client', clientTable], ['server', serverTable]] as const) {
  test(`${name}: ChangeCipherSpec after the handshake (CONNECTED) is rejected with unexpected_message`, () => {
    const r = step(table as MachineTable, 'CONNECTED', 'ChangeCipherSpec', none);
    assert.is(r.kind, 'rejection');
    assert.is(r.alert, 'unexpected_message');
    assert.is(r.rfc, 'RFC 8446 §5');
  });
  test(`${name}: ChangeCipherSpec is dropped in every state between the first hello and the peer Finished`, () => {
    for (const s of table.states) {
      if (s === 'START' || s === 'CONNECTED' || s === 'LOCAL_CLOSED' || s === 'PEER_CLOSED' || table.absorbing.includes(s as never)) continue;
      const r = step(table as MachineTable, s, 'ChangeCipherSpec', none);
      assert.is(r.kind, 'transition', `${s}`);
      assert.is(r.target, s);
    }
  });
  test(`${name}: ERROR and CLOSED absorb every event, with no alert and no state change`, () => {
    for (const s of ['ERROR', 'CLOSED']) for (const e of table.events) {
      const r = step(table as MachineTable, s, e, none);
      assert.is(r.kind, 'rejection');
      if (r.kind !== 'rejection') continue;
      assert.instance(r.error, AbsorbedEventError);
      assert.is(r.target, s);
      assert.is(r.alert, undefined);
    }
  });
  test(`${name}: a peer's fatal Alert moves every live state to ERROR without sending one back`, () => {
    for (const s of table.states) {
      if (table.absorbing.includes(s as never)) continue;
      const r = step(table as MachineTable, s, 'Alert', none);
      assert.is(r.kind, 'transition', s);
      assert.is(r.target, 'ERROR');
      assert.equal([...r.actions], []);
    }
  });
  test(`${name}: local requests are refused (blame local, state unchanged) or handled, never sent as an alert`, () => {
    for (const s of table.states) for (const e of ['Start', 'AppWrite', 'RequestKeyUpdate', 'Close']) {
      if (table.absorbing.includes(s as never)) continue;
      for (const facts of [{}, Object.fromEntries(table.guards.map((g) => [g, true]))]) {
        const r = step(table as MachineTable, s, e, facts);
        if (r.kind === 'rejection') {
          assert.instance(r.error, RefusedEventError, `${s} × ${e}`);
          assert.is(r.error.blame, 'local');
          assert.is(r.alert, undefined);
          assert.is(r.target, s);
        }
      }
    }
  });
}

test('client: a second HelloRetryRequest is rejected with unexpected_message', () => {
  const r = run(clientTable, ['Start', 'HelloRetryRequest', 'HelloRetryRequest'], none);
  assert.is(r.state, 'ERROR');
  assert.is(r.rejection?.alert, 'unexpected_message');
  assert.is(r.rejection?.from, 'WAIT_SECOND_SERVER_HELLO');
  const ok = run(clientTable, ['Start', 'HelloRetryRequest', 'ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished'], none);
  assert.is(ok.state, 'CONNECTED');
  assert.equal(sends(ok.actions), ['sendClientHello', 'sendSecondClientHello', 'sendFinished']);
});

test('client PSK resumption (pskAccepted) goes EncryptedExtensions → WAIT_FINISHED and rejects a server Certificate', () => {
  const ok = run(clientTable, ['Start', 'ServerHello', 'EncryptedExtensions', 'Finished'], { pskAccepted: true });
  assert.is(ok.state, 'CONNECTED');
  const r = run(clientTable, ['Start', 'ServerHello', 'EncryptedExtensions', 'Certificate'], { pskAccepted: true });
  assert.is(r.rejection?.alert, 'unexpected_message');
  assert.is(r.rejection?.from, 'WAIT_FINISHED');
});

test('client 0-RTT accepted: early data while waiting, then EndOfEarlyData before Finished', () => {
  const f: Facts<ClientGuard> = { earlyDataOffered: true, pskAccepted: true, earlyDataAccepted: true };
  const r = run(clientTable, ['Start', 'AppWrite', 'ServerHello', 'AppWrite', 'EncryptedExtensions', 'AppWrite', 'Finished'], f);
  assert.is(r.state, 'CONNECTED');
  assert.equal(sends(r.actions), ['sendClientHello', 'sendEarlyData', 'sendEarlyData', 'sendEarlyData', 'sendEndOfEarlyData', 'sendFinished']);
  assert.ok(r.actions.indexOf('installEarlyWriteKeys') < r.actions.indexOf('sendEarlyData'));
  assert.ok(r.actions.indexOf('sendEndOfEarlyData') < r.actions.indexOf('installHandshakeWriteKeys'));
});

test('client 0-RTT rejected: no EndOfEarlyData is sent', () => {
  const f: Facts<ClientGuard> = { earlyDataOffered: true, pskAccepted: true };
  const r = run(clientTable, ['Start', 'ServerHello', 'EncryptedExtensions', 'Finished'], f);
  assert.is(r.state, 'CONNECTED');
  assert.not.ok(r.actions.includes('sendEndOfEarlyData'));
});

test('client authentication: Certificate + CertificateVerify when a certificate is selected, an empty Certificate and no CertificateVerify otherwise', () => {
  const evs: ClientEvent[] = ['Start', 'ServerHello', 'EncryptedExtensions', 'CertificateRequest', 'Certificate', 'CertificateVerify', 'Finished'];
  const withCert = run(clientTable, evs, { clientAuthRequested: true, clientCertificateSelected: true });
  assert.equal(sends(withCert.actions), ['sendClientHello', 'sendCertificate', 'sendCertificateVerify', 'sendFinished']);
  const without = run(clientTable, evs, { clientAuthRequested: true });
  assert.equal(sends(without.actions), ['sendClientHello', 'sendCertificate', 'sendFinished']);
});

test('client rejects an empty server Certificate with decode_error', () => {
  const r = step(clientTable, ClientState.WAIT_CERT_CR, ClientEvent.Certificate, { certificateEmpty: true });
  assert.is(r.kind, 'rejection');
  assert.is(r.alert, 'decode_error');
});

test('client in CONNECTED: tickets, key updates and data stay in CONNECTED; close_notify half-closes', () => {
  const r = run(clientTable, ['Start', 'ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished', 'NewSessionTicket', 'KeyUpdate', 'ApplicationData', 'AppWrite', 'RequestKeyUpdate'], none);
  assert.is(r.state, 'CONNECTED');
  assert.ok(r.actions.includes('storeTicket') && r.actions.includes('answerKeyUpdateIfRequested') && r.actions.includes('updateWriteKeys'));
  const c = step(clientTable, 'CONNECTED', 'CloseNotify', none);
  assert.is(c.target, 'PEER_CLOSED');
  assert.equal([...c.actions], ['reportPeerClosed']);
});

for (const [name, table] of [['client', clientTable], ['server', serverTable]] as const) {
  test(`${name}: half-close both ways (RFC 8446 §6.1): PEER_CLOSED still writes, LOCAL_CLOSED still reads and sends nothing`, () => {
    const t = table as MachineTable;
    const pw = step(t, 'PEER_CLOSED', 'AppWrite', none);
    assert.is(pw.target, 'PEER_CLOSED');
    assert.ok(pw.actions.includes('sendApplicationData'));
    assert.is(step(t, 'PEER_CLOSED', 'ApplicationData', none).target, 'PEER_CLOSED');
    assert.equal([...step(t, 'PEER_CLOSED', 'ApplicationData', none).actions], []);
    const pc = step(t, 'PEER_CLOSED', 'Close', none);
    assert.is(pc.target, 'CLOSED');
    assert.equal([...pc.actions], ['sendCloseNotify', 'reportClosed']);
    const lc = step(t, 'CONNECTED', 'Close', none);
    assert.is(lc.target, 'LOCAL_CLOSED');
    const lr = step(t, 'LOCAL_CLOSED', 'ApplicationData', none);
    assert.equal([...lr.actions], ['deliverApplicationData']);
    const ku = step(t, 'LOCAL_CLOSED', 'KeyUpdate', none);
    assert.equal([...ku.actions], ['updateReadKeys']);
    const lw = step(t, 'LOCAL_CLOSED', 'AppWrite', none);
    assert.is(lw.kind, 'rejection');
    assert.instance(lw.kind === 'rejection' ? lw.error : undefined, RefusedEventError);
    assert.is(step(t, 'LOCAL_CLOSED', 'CloseNotify', none).target, 'CLOSED');
  });
}

test('server full handshake sends its whole flight on ClientHello and reaches CONNECTED only on Finished', () => {
  const r = run(serverTable, ['ClientHello', 'Finished'], none);
  assert.is(r.state, 'CONNECTED');
  assert.equal(sends(r.actions), ['sendServerHello', 'sendEncryptedExtensions', 'sendCertificate', 'sendCertificateVerify', 'sendFinished']);
  const tickets = run(serverTable, ['ClientHello', 'Finished'], { ticketsIssued: true });
  assert.equal(sends(tickets.actions).slice(-1), ['sendNewSessionTicket']);
});

test('server that requested a client certificate never lets the client skip its Certificate', () => {
  const r = run(serverTable, ['ClientHello', 'Finished'], { clientAuthRequested: true });
  assert.is(r.state, 'ERROR');
  assert.is(r.rejection?.from, 'WAIT_CERT');
  assert.is(r.rejection?.alert, 'unexpected_message');
  const empty = run(serverTable, ['ClientHello', 'Certificate', 'Finished'], { clientAuthRequested: true, certificateEmpty: true });
  assert.is(empty.state, 'CONNECTED');
  assert.not.ok(empty.actions.includes('verifyClientCertificateVerify'));
  const required = run(serverTable, ['ClientHello', 'Certificate'], { clientAuthRequested: true, certificateEmpty: true, requiredCertificateMissing: true });
  assert.is(required.rejection?.alert, 'certificate_required');
  const full = run(serverTable, ['ClientHello', 'Certificate', 'CertificateVerify', 'Finished'], { clientAuthRequested: true });
  assert.is(full.state, 'CONNECTED');
  const noCv = run(serverTable, ['ClientHello', 'Certificate', 'Finished'], { clientAuthRequested: true });
  assert.is(noCv.rejection?.from, 'WAIT_CERT_VERIFY');
});

test('server: one HelloRetryRequest, and a second ClientHello that still needs one fails with handshake_failure', () => {
  const m = new MachineInstance(serverTable);
  assert.is(m.send('ClientHello', { helloRetryRequired: true }).target, 'WAIT_SECOND_CLIENT_HELLO');
  assert.is(m.send('ChangeCipherSpec', none).target, 'WAIT_SECOND_CLIENT_HELLO');
  assert.is(m.send('SecondClientHello', { helloRetryRequired: false }).target, 'WAIT_FINISHED');
  assert.is(m.send('Finished', none).target, 'CONNECTED');
  const hrr = run(serverTable, ['ClientHello', 'SecondClientHello'], { helloRetryRequired: true });
  assert.is(hrr.rejection?.alert, 'handshake_failure');
  assert.equal(sends(hrr.actions), ['sendHelloRetryRequest']);
});

test('server 0-RTT: early data is delivered in WAIT_EOED until EndOfEarlyData; PSK sends no Certificate', () => {
  const r = run(serverTable, ['ClientHello', 'ApplicationData', 'ApplicationData', 'EndOfEarlyData', 'Finished'], { earlyDataAccepted: true, pskAccepted: true });
  assert.is(r.state, 'CONNECTED');
  assert.is(r.actions.filter((a) => a === 'deliverEarlyData').length, 2);
  assert.not.ok(r.actions.includes('sendCertificate'));
  const noEoed = run(serverTable, ['ClientHello', 'Finished'], { earlyDataAccepted: true, pskAccepted: true });
  assert.is(noEoed.rejection?.from, 'WAIT_EOED');
});

test('unknown state or event is a local UnknownEventError; a guarded-only row would be a config NoCandidateError', () => {
  const a = step(clientTable, 'NOWHERE', 'Start', none);
  assert.ok(a.kind === 'rejection' && a.error instanceof UnknownEventError && a.error.code === 'MACHINE_UNKNOWN_STATE');
  const b = step(clientTable, 'START', 'Teleport', none);
  assert.ok(b.kind === 'rejection' && b.error instanceof UnknownEventError && b.error.code === 'MACHINE_UNKNOWN_EVENT');
  const c = step(clientTable, 'START', '__proto__', none);
  assert.ok(c.kind === 'rejection' && c.error.code === 'MACHINE_UNKNOWN_EVENT');
  const broken: MachineTable = { ...clientTable, transitions: { ...clientTable.transitions, START: { ...clientTable.transitions.START, Start: [{ guard: 'earlyDataOffered', target: 'WAIT_SERVER_HELLO', actions: [] }] } } };
  const d = step(broken, 'START', 'Start', none);
  assert.ok(d.kind === 'rejection' && d.error instanceof NoCandidateError && d.error.blame === 'config');
});

test('MachineInstance stays in ERROR after a rejection, and its trace feeds the coverage format', () => {
  const m = new MachineInstance(clientTable);
  m.send('Start', none);
  m.send('Finished', none);
  assert.is(m.state, 'ERROR');
  assert.ok(m.ended);
  const r = m.send('ServerHello', none);
  assert.is(r.kind, 'rejection');
  assert.is(m.state, 'ERROR');
  assert.equal(coverageOf([m.trace, m.trace]).edges, { 'START|Start|WAIT_SERVER_HELLO': 2, 'WAIT_SERVER_HELLO|Finished|ERROR': 2 });
});

test('property: any event sequence under any facts never throws, ends in a table state, and ERROR/CLOSED are final', () => {
  const tables = [clientTable, serverTable] as unknown as MachineTable[];
  fc.assert(fc.property(fc.integer({ min: 0, max: 1 }), fc.array(fc.nat(), { maxLength: 40 }), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), (ti, evs, bits) => {
    const t = tables[ti]!;
    const facts = Object.fromEntries(t.guards.map((g, i) => [g, bits[i % bits.length]!]));
    const m = new MachineInstance(t);
    let ended: string | undefined;
    for (const n of evs) {
      const e = t.events[n % t.events.length]!;
      const r = m.send(e, facts);
      if (ended !== undefined) { assert.is(m.state, ended); assert.is(r.kind, 'rejection'); }
      assert.ok(t.states.includes(m.state));
      if (r.kind === 'rejection' && r.alert !== undefined) assert.is(m.state, 'ERROR');
      if (t.absorbing.includes(m.state)) ended ??= m.state;
    }
  }), { numRuns: 500 });
});

test('property: with any facts, the server reaches CONNECTED only by a client Finished (message-level)', () => {
  fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 30 }), fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), (evs, bits) => {
    const facts: Facts<ServerGuard> = Object.fromEntries(serverTable.guards.map((g, i) => [g, bits[i]!]));
    const m = new MachineInstance(serverTable);
    for (const n of evs) {
      const e = serverTable.events[n % serverTable.events.length]!;
      const before = m.state;
      m.send(e, facts);
      if (before !== 'CONNECTED' && m.state === 'CONNECTED') assert.is(e, ServerEvent.Finished);
    }
  }), { numRuns: 500 });
});

test('every table edge into CONNECTED (any guard) is a peer Finished, from WAIT_FINISHED; CONNECTED is never left except to ERROR/CLOSED or a half-closed state', () => {
  for (const t of [clientTable, serverTable] as unknown as MachineTable[]) {
    for (const s of t.states) for (const e of t.events) for (const c of t.transitions[s]![e]!) {
      if (c.target === 'CONNECTED' && s !== 'CONNECTED') {
        assert.is(e, 'Finished', `${t.name}: ${s} × ${e} enters CONNECTED`);
        assert.is(s, 'WAIT_FINISHED', `${t.name}: ${s} × ${e} enters CONNECTED`);
        assert.ok(c.actions.some((a) => /^verify\w*Finished$/.test(a)), `${t.name}: ${s} × ${e} enters CONNECTED without verifying Finished`);
      }
      if (s === 'CONNECTED') assert.ok(['CONNECTED', 'ERROR', 'CLOSED', 'PEER_CLOSED', 'LOCAL_CLOSED'].includes(c.target), `${t.name}: CONNECTED × ${e} → ${c.target}`);
    }
  }
});

test.run();

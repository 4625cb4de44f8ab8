// The seam between the engine and the generated transition tables (generated/tls13/machines/*.ts,
// interpreted by runtime/machine). The engine never decides message order itself: it maps what
// arrived (or what the application asked for) to an event name, asks the table, and runs the
// named actions the table returns. A missing entry is a typed rejection with the table's alert.

export interface TableTransition {
  readonly kind: 'transition';
  /** Undefined for a targetless transition (stay in the state). */
  readonly target: string | undefined;
  /** Set on a local trigger the table refuses in this state (e.g. 'handshake_not_complete'). */
  readonly refuse?: string | undefined;
  readonly actions: readonly string[];
  /** Set on error edges: the alert to send (e.g. 'unexpected_message'). */
  readonly alert?: string | undefined;
  readonly rfc?: string | undefined;
}
export interface TableRejection {
  readonly kind: 'rejection';
  readonly alert: string;
  readonly message: string;
}
export type TableResult = TableTransition | TableRejection;

export interface HandshakeTable {
  readonly role: 'client' | 'server';
  readonly initial: string;
  readonly error: string;
  readonly closed: string;
  step(state: string, event: string, guard: (name: string) => boolean): TableResult;
}

/** Event names of received handshake messages, by HandshakeType (RFC 8446 §4). */
export function eventForHandshake(type: number, isHrr: boolean): string | undefined {
  switch (type) {
    case 1: return 'ClientHello';
    case 2: return isHrr ? 'HelloRetryRequest' : 'ServerHello';
    case 4: return 'NewSessionTicket';
    case 5: return 'EndOfEarlyData';
    case 8: return 'EncryptedExtensions';
    case 11: return 'Certificate';
    case 13: return 'CertificateRequest';
    case 15: return 'CertificateVerify';
    case 20: return 'Finished';
    case 24: return 'KeyUpdate';
    default: return undefined;
  }
}

// Binds the generated TLS 1.3 tables (generated/tls13/machines/{client,server}.ts, compiled from
// specs/tls13/machines/*.json) to the engine's HandshakeTable seam, through runtime/machine's step().
// This is the only place the engine learns what is allowed when.
import { AbsorbedEventError, RefusedEventError, step, UnexpectedEventError, type MachineTable } from '../machine/index.ts';
import { clientTable as generatedClient } from '../../generated/tls13/machines/client.ts';
import { serverTable as generatedServer } from '../../generated/tls13/machines/server.ts';
import type { HandshakeTable, TableResult } from './table.ts';

export type { ClientAction, ClientGuard } from '../../generated/tls13/machines/client.ts';
export type { ServerAction, ServerGuard } from '../../generated/tls13/machines/server.ts';

function bind(table: MachineTable, role: 'client' | 'server'): HandshakeTable {
  return {
    role,
    initial: table.initial,
    error: 'ERROR',
    closed: 'CLOSED',
    step(state: string, event: string, guard: (name: string) => boolean): TableResult {
      const r = step(table, state, event, guard);
      if (r.kind === 'transition') {
        return { kind: 'transition', target: r.target === state ? undefined : r.target, actions: r.actions, rfc: r.rfc };
      }
      if (r.error instanceof RefusedEventError) return { kind: 'transition', target: undefined, actions: [], refuse: r.error.reason, rfc: r.rfc };
      if (r.error instanceof UnexpectedEventError) return { kind: 'transition', target: r.target, actions: r.actions, alert: r.error.alert ?? 'unexpected_message', rfc: r.rfc };
      if (r.error instanceof AbsorbedEventError) return { kind: 'rejection', alert: 'unexpected_message', message: r.message };
      return { kind: 'rejection', alert: 'internal_error', message: r.message };
    },
  };
}

export const clientTable: HandshakeTable = bind(generatedClient as unknown as MachineTable, 'client');
export const serverTable: HandshakeTable = bind(generatedServer as unknown as MachineTable, 'server');

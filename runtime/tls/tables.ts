// The generated TLS 1.3 tables (generated/tls13/machines/{client,server}.ts, compiled from
// specs/tls13/machines/*.json), as the engine uses them: run by runtime/machine's step(), with the
// engine implementing the generated <Role>Implementations interface. This is the only place the
// engine learns what is allowed when.
export {
  clientTable, ClientState, type ClientAction, type ClientEvent, type ClientGuard, type ClientImplementations,
} from '../../generated/tls13/machines/client.ts';
export {
  serverTable, ServerState, type ServerAction, type ServerEvent, type ServerGuard, type ServerImplementations,
} from '../../generated/tls13/machines/server.ts';

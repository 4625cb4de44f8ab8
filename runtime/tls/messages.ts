// The engine's window onto the generated codecs (generated/tls13/messages/*.ts, compiled from
// specs/tls13/messages/*.ksy). Every handshake message the engine reads or writes goes through
// these decoders/encoders; this file only adapts their errors to the engine's error classes and
// gives typed access to extensions. It parses nothing by hand.
import { DecodeError, EncodeError } from '../codec/index.ts';
import { ExtensionType, HandshakeType } from '../../generated/tls13/messages/common.ts';
import type { Extension, Extensions } from '../../generated/tls13/messages/extensions.ts';
import { TlsPeerError, TlsProviderError, isAlertName } from './errors.ts';

export {
  decodeCertificate, decodeCertificateRequest, decodeCertificateVerify, decodeClientHello, decodeEncryptedExtensions,
  decodeEndOfEarlyData, decodeFinished, decodeKeyUpdate, decodeNewSessionTicket, decodeServerHello,
  encodeCertificate, encodeCertificateRequest, encodeCertificateVerify, encodeClientHello, encodeEncryptedExtensions,
  encodeEndOfEarlyData, encodeFinished, encodeKeyUpdate, encodeNewSessionTicket, encodeServerHello,
} from '../../generated/tls13/messages/handshake.ts';
export type {
  Certificate, CertificateRequest, CertificateVerify, ClientHello, EncryptedExtensions, NewSessionTicket, ServerHello,
} from '../../generated/tls13/messages/handshake.ts';
export type { Extension, Extensions } from '../../generated/tls13/messages/extensions.ts';
export { ExtensionType, HandshakeType };

/** Decode with a generated decoder; a DecodeError becomes a TlsPeerError naming the schema path and offset. */
export function decode<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DecodeError) {
      const alert = isAlertName(e.alert) ? e.alert : 'decode_error';
      throw new TlsPeerError(alert === 'decode_error' ? 'TLS_DECODE_ERROR' : alert === 'protocol_version' ? 'TLS_PROTOCOL_VERSION' : 'TLS_ILLEGAL_PARAMETER', alert,
        `malformed ${what} from the peer: ${e.path} at byte ${e.offset}: expected ${e.expected}, got ${e.actual}`, { cause: e });
    }
    throw e;
  }
}

/** Encode with a generated encoder; an EncodeError here is an engine bug (values come from config or negotiation). */
export function encode(what: string, f: () => Uint8Array): Uint8Array {
  try {
    return f();
  } catch (e) {
    if (e instanceof EncodeError) throw new TlsProviderError(`cannot encode ${what}: ${e.message}; check the configuration values that feed it (ALPN names, certificate sizes)`, { cause: e });
    throw e;
  }
}

/** The typed body of extension `type`, or undefined when absent. */
export type ExtBody<T extends number> = Extract<Extension, { extension_type: T }>['body'];
export function findExt<T extends number>(exts: Extensions, type: T): ExtBody<T> | undefined {
  const e: { body: unknown } | undefined = exts.items.find((x) => x.extension_type === type);
  return (e === undefined ? undefined : e.body) as ExtBody<T> | undefined;
}

/** RFC 8446 §4.2: no extension type twice in one message. */
export function checkNoDuplicates(exts: Extensions, what: string): void {
  const seen = new Set<number>();
  for (const e of exts.items) {
    if (seen.has(e.extension_type)) throw new TlsPeerError('TLS_ILLEGAL_PARAMETER', 'illegal_parameter', `${what}: extension ${e.extension_type} appears twice (RFC 8446 §4.2)`);
    seen.add(e.extension_type);
  }
}

/** Handshake framing: msg_type(1) length(3) body. */
export function frameHandshake(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = type; out[1] = (body.length >> 16) & 0xff; out[2] = (body.length >> 8) & 0xff; out[3] = body.length & 0xff;
  out.set(body, 4);
  return out;
}

// Which table event a received handshake message is. Everything about order lives in the generated
// tables (generated/tls13/machines/*.ts, run by runtime/machine's step()); this file only names the
// event a message is, from its type and the content that the spec's events distinguish (a
// ServerHello with the HelloRetryRequest random; a ClientHello carrying a cookie).

/** Event names of received handshake messages, by HandshakeType (RFC 8446 §4). */
export function eventForHandshake(type: number, isHrr: boolean, hasCookie: boolean): string | undefined {
  switch (type) {
    case 1: return hasCookie ? 'SecondClientHello' : 'ClientHello';
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

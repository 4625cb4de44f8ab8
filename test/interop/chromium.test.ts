// A real browser against protosmith's server: headless Chromium (driven by playwright-core) loads
// an HTTPS page served by runtime/node createServer. Chromium's ClientHello carries GREASE values,
// a post-quantum hybrid key share and extensions we do not implement, so this also checks that the
// server negotiates around what it does not know. Chromium trusts our leaf through
// --ignore-certificate-errors-spki-list (the SHA-256 of its SPKI), the test-only way to pin a key.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { chromium } from 'playwright-core';
import { ourServer } from './ours.ts';
import { testPki } from '../support/pki.ts';
import { parseCertificate } from '../../runtime/x509/index.ts';

const pki = testPki();

test('headless Chromium loads a page over TLS 1.3 from our server (ALPN http/1.1)', async () => {
  const leaf = pki.servers.p256;
  const spkiHash = createHash('sha256').update(parseCertificate(leaf.certDer, 0).spki).digest('base64');
  const s = await ourServer('p256', { alpn: ['http/1.1'] });
  s.server.on('secureConnection', (socket: import('../../runtime/node/index.ts').TlsSocket) => {
    let req = '';
    socket.on('data', (d: Buffer) => {
      req += d.toString('latin1');
      if (!req.includes('\r\n\r\n')) return;
      const hs = socket.handshake!;
      const body = `<html><head><title>protosmith</title></head><body>suite=${hs.cipherSuite} group=${hs.group} alpn=${hs.alpn}</body></html>`;
      socket.end(`HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    });
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', `--ignore-certificate-errors-spki-list=${spkiHash}`],
  });
  try {
    const page = await browser.newPage();
    const resp = await page.goto(`https://localhost:${s.port}/`, { timeout: 15_000 });
    assert.is(resp?.status(), 200);
    assert.is(await page.title(), 'protosmith');
    const text = await page.textContent('body');
    assert.match(text ?? '', /suite=\d+ group=\d+ alpn=http\/1\.1/);
    const conn = await s.connection();
    assert.equal(conn.errors, []);
  } finally {
    await browser.close();
    await s.close();
  }
});

test.run();

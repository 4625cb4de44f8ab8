// `protosmith viz`: every format from the CLI, errors for bad input, and the HTML viewer in a real
// headless Chromium (started here, stopped by pid): self-contained, no console errors, hovering a
// state highlights its edges, clicking an edge shows guard, actions and RFC section; coverage colours.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { XMLParser } from 'fast-xml-parser';
import { chromium, type Browser, type Page } from 'playwright-core';

const root = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'protosmith-viz-'));

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'protosmith.mjs'), 'viz', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('viz writes svg, dot, mermaid and html for tls13/client; the SVG parses and names every state', () => {
  for (const [fmt, ext] of [['svg', 'svg'], ['dot', 'dot'], ['mermaid', 'mmd'], ['html', 'html']] as const) {
    const out = join(work, `client.${ext}`);
    const r = cli('tls13/client', '--format', fmt, '--out', out);
    assert.is(r.code, 0, r.stderr);
  }
  const svg = readFileSync(join(work, 'client.svg'), 'utf8');
  const doc = new XMLParser({ ignoreAttributes: false }).parse(svg) as Record<string, unknown>;
  assert.ok(doc.svg);
  for (const s of ['START', 'WAIT_SERVER_HELLO', 'WAIT_SECOND_SERVER_HELLO', 'WAIT_ENCRYPTED_EXTENSIONS', 'WAIT_CERT_CR', 'WAIT_CERT', 'WAIT_CERT_VERIFY', 'WAIT_FINISHED', 'CONNECTED', 'ERROR', 'CLOSED']) {
    assert.match(svg, `<title>${s}</title>`);
  }
  assert.match(readFileSync(join(work, 'client.dot'), 'utf8'), /^digraph "tls13\/client" \{/);
  assert.match(readFileSync(join(work, 'client.mmd'), 'utf8'), /^stateDiagram-v2\n/);
  const html = readFileSync(join(work, 'client.html'), 'utf8');
  assert.not.match(html, /(src|href)=["']https?:/);
  assert.not.match(html, /<link /);
});

test('viz prints to stdout without --out, and accepts a path to a spec file', () => {
  const r = cli('test/machine/fixtures/door.json', '--format', 'mermaid');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'LOCKED --> CLOSED : Unlock [hasKey]');
});

test('viz fails clearly: unknown machine (2), bad format (2), invalid spec with file:line (1), bad coverage (2)', () => {
  const a = cli('tls13/nope', '--format', 'svg');
  assert.is(a.code, 2);
  assert.match(a.stderr, "no machine 'tls13/nope' (known: knock/server, tls13/client, tls13/server");
  const b = cli('tls13/client', '--format', 'png');
  assert.is(b.code, 2);
  assert.match(b.stderr, '--format must be one of svg, dot, mermaid, html');
  const c = cli('test/machine/fixtures/bad/unknown-target.json', '--format', 'dot');
  assert.is(c.code, 1);
  assert.match(c.stderr, "unknown-target.json:49: error: unknown target state 'CLOSD'");
  const covFile = join(work, 'bad-cov.json');
  writeFileSync(covFile, JSON.stringify({ edges: { 'START|Start': 1 } }));
  const d = cli('tls13/client', '--format', 'svg', '--coverage', covFile);
  assert.is(d.code, 2);
  assert.match(d.stderr, "coverage key 'START|Start' is not FROM|EVENT|TARGET");
});

// ---- headless Chromium, started and stopped by this test
let proc: ChildProcess | undefined;
let browser: Browser | undefined;
const userDataDir = join(work, 'chromium-profile');

async function startChromium(): Promise<Browser> {
  proc = spawn('/usr/bin/chromium', [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', `--user-data-dir=${userDataDir}`, '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0', 'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe'], detached: true }); // its own process group: its helpers are stopped with it
  const ws = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not start: ${err}`)), 30_000);
    proc!.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
    proc!.on('exit', (code) => { clearTimeout(timer); reject(new Error(`chromium exited (${code}): ${err}`)); });
  });
  return chromium.connectOverCDP(ws);
}

/** Whether any process is left in the group Chromium leads (its renderer, GPU, zygote and crash handler helpers
 *  are in it), by the group id, which is Chromium's own pid. */
function groupAlive(pgid: number): boolean {
  try { process.kill(-pgid, 0); return true; } catch { return false; }
}

/** Stops Chromium and every helper it started, by its pid (as the process group's id): SIGTERM, then SIGKILL for
 *  what is left after 5 s, and waits until none is left, so that nothing writes into its profile any more. */
async function stopChromium(): Promise<void> {
  await browser?.close().catch(() => undefined);
  const pid = proc?.pid;
  if (pid === undefined) return;
  const exited = proc!.exitCode !== null || proc!.signalCode !== null ? Promise.resolve() : new Promise((r) => proc!.once('exit', r));
  const waitGroup = async (ms: number): Promise<void> => {
    for (const end = Date.now() + ms; groupAlive(pid) && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));
  };
  if (groupAlive(pid)) {
    try { process.kill(-pid, 'SIGTERM'); } catch { /* gone meanwhile */ }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    await waitGroup(5000);
    if (groupAlive(pid)) {
      try { process.kill(-pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
      await waitGroup(5000);
    }
  }
  await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
}

async function open(file: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  browser ??= await startChromium();
  const ctx = browser.contexts()[0] ?? (await browser.newContext());
  const page = await ctx.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`file://${file}`);
  await page.waitForSelector('#s__START');
  return { page, errors, requests };
}

test('HTML viewer opens in headless Chromium with no console errors and loads nothing but itself', async () => {
  const { page, errors, requests } = await open(join(work, 'client.html'));
  assert.equal(errors, []);
  assert.equal(requests.filter((u) => !u.startsWith('file://')), []);
  assert.is(requests.length, 1);
  assert.is(await page.locator('svg g.node').count(), 14); // 13 states + the start point
  await page.close();
});

test('hovering a state highlights exactly its edges and dims the others', async () => {
  const { page, errors } = await open(join(work, 'client.html'));
  await page.hover('#s__WAIT_CERT_CR');
  const hl = await page.$$eval('g.edge.hl', (els) => els.map((e) => e.id).sort());
  assert.ok(hl.includes('e__WAIT_CERT_CR__WAIT_CERT'), hl.join(','));
  assert.ok(hl.includes('e__WAIT_ENCRYPTED_EXTENSIONS__WAIT_CERT_CR'), hl.join(','));
  assert.ok(hl.every((id) => id.includes('WAIT_CERT_CR')), hl.join(','));
  assert.ok(await page.locator('#e__START__WAIT_SERVER_HELLO.dim').count() === 1);
  await page.mouse.move(0, 0);
  assert.is(await page.locator('g.edge.hl').count(), 0);
  assert.equal(errors, []);
  await page.close();
});

test('clicking an edge shows its guards, actions and RFC sections', async () => {
  const { page, errors } = await open(join(work, 'client.html'));
  await page.click('#e__WAIT_FINISHED__CONNECTED text');
  const text = await page.textContent('#details');
  assert.match(text ?? '', 'WAIT_FINISHED → CONNECTED');
  assert.match(text ?? '', 'guard: earlyDataAccepted');
  assert.match(text ?? '', 'sendEndOfEarlyData');
  assert.match(text ?? '', 'RFC: RFC 8446 §4.5');
  assert.match(text ?? '', 'guard: clientCertificateSelected');
  assert.is(await page.locator('#details .cand').count(), 4);
  assert.match(text ?? '', /spec: specs\/tls13\/machines\/client\.json:\d+/);
  await page.click('#e__WAIT_SERVER_HELLO__ERROR text');
  const err = await page.textContent('#details');
  assert.match(err ?? '', 'sends alert: unexpected_message');
  assert.equal(errors, []);
  await page.close();
});

test('--coverage colours taken edges green and never-taken edges red, in the SVG and the HTML', async () => {
  const cov = join(work, 'cov.json');
  writeFileSync(cov, JSON.stringify({ edges: { 'START|Start|WAIT_SERVER_HELLO': 10, 'WAIT_SERVER_HELLO|ServerHello|WAIT_ENCRYPTED_EXTENSIONS': 9, 'WAIT_ENCRYPTED_EXTENSIONS|EncryptedExtensions|WAIT_CERT_CR': 1 } }));
  const r = cli('tls13/client', '--format', 'html', '--coverage', cov, '--out', join(work, 'cov.html'));
  assert.is(r.code, 0, r.stderr);
  const { page, errors } = await open(join(work, 'cov.html'));
  const stroke = (id: string): Promise<string | null> => page.getAttribute(`#${id} path`, 'stroke');
  assert.is(await stroke('e__START__WAIT_SERVER_HELLO'), '#145a32');
  assert.is(await stroke('e__WAIT_CERT_CR__WAIT_CERT'), '#c0392b');
  assert.not.equal(await stroke('e__WAIT_ENCRYPTED_EXTENSIONS__WAIT_CERT_CR'), '#c0392b');
  await page.click('#e__START__WAIT_SERVER_HELLO text');
  assert.match((await page.textContent('#details')) ?? '', 'taken 10 time(s)');
  assert.equal(errors, []);
  await page.close();
  const svg = cli('tls13/client', '--format', 'svg', '--coverage', cov);
  assert.is(svg.code, 0);
  assert.match(svg.stdout, 'stroke="#c0392b"');
});

test('cleanup: Chromium stopped by pid', async () => {
  await stopChromium();
  if (proc) {
    assert.ok(proc.exitCode !== null || proc.signalCode !== null, 'chromium still running');
    assert.not.ok(groupAlive(proc.pid!), 'a chromium helper process is still running');
  }
  rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

test.run();

// `protosmith explore`: exit codes, the printed summary and disagreement form, the coverage file, and
// `protosmith viz --coverage` painting it (every drawn edge of a fully explored machine is taken: no red).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const root = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'protosmith-explore-cli-'));
const cli = (...args: string[]): { code: number; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'protosmith.mjs'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

test('explore knock/server with its driver exits 0 at 100%, writes coverage, and viz paints every drawn edge as taken', () => {
  const cov = join(work, 'knock.json');
  const r = cli('explore', 'knock/server', '--driver', 'examples/knock/driver.ts', '--coverage', cov, '--random', '20', '--seed', '3');
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, 'knock/server: 5/5 states, 9/9 edges, 22/22 rejected pairs');
  assert.match(r.stdout, '0 disagreement(s)');
  assert.match(r.stdout, 'random: 20 runs');
  const c = JSON.parse(readFileSync(cov, 'utf8')) as { machine: string; edges: Record<string, number>; rejected: Record<string, number> };
  assert.is(c.machine, 'knock/server');
  assert.ok(c.edges['WAIT_KEY|Key|OPEN']! > 0 && c.rejected['OPEN|Hello']! > 0);
  const svg = cli('viz', 'knock/server', '--format', 'svg', '--coverage', cov);
  assert.is(svg.code, 0, svg.stderr);
  assert.not.match(svg.stderr, 'match no transition');
  assert.match(svg.stdout, 'stroke="#145a32"');
  assert.not.match(svg.stdout, 'stroke="#c0392b"');
  const html = cli('viz', 'knock/server', '--format', 'html', '--coverage', cov, '--out', join(work, 'knock.html'));
  assert.is(html.code, 0, html.stderr);
  assert.match(readFileSync(join(work, 'knock.html'), 'utf8'), 'Rejected (state, event) pairs exercised: 22 of 22.');
});

test('viz --coverage names the rejected pairs a partial coverage file never exercised', () => {
  const cov = join(work, 'partial.json');
  writeFileSync(cov, JSON.stringify({ edges: { 'IDLE|Hello|WAIT_KEY': 1 }, rejected: { 'IDLE|Send': 2 } }));
  const r = cli('viz', 'knock/server', '--format', 'html', '--coverage', cov, '--out', join(work, 'partial.html'));
  assert.is(r.code, 0, r.stderr);
  assert.match(readFileSync(join(work, 'partial.html'), 'utf8'), 'Rejected (state, event) pairs exercised: 1 of 22 (never: CLOSED|Bye,');
  writeFileSync(cov, JSON.stringify({ edges: {}, rejected: { 'IDLE|Send|X': 2 } }));
  const bad = cli('viz', 'knock/server', '--format', 'svg', '--coverage', cov);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, "rejected-pair key 'IDLE|Send|X' is not STATE|EVENT");
});

test('explore refuses bad usage with exit 2 and says why', () => {
  const a = cli('explore');
  assert.is(a.code, 2);
  assert.match(a.stderr, 'no machine given');
  const b = cli('explore', 'knock/server');
  assert.is(b.code, 2);
  assert.match(b.stderr, "no built-in driver for protocol 'knock': pass --driver FILE");
  const c = cli('explore', 'tls13/middlebox');
  assert.is(c.code, 2);
  assert.match(c.stderr, "tls13 has the roles client and server, not 'middlebox'");
  const d = cli('explore', 'tls13/client', '--seed-bug', 'nope');
  assert.is(d.code, 2);
  assert.match(d.stderr, "no seeded bug 'nope' for tls13/client (have: certificate-verify-before-certificate");
});

test('cleanup', () => { rmSync(work, { recursive: true, force: true }); });

test.run();

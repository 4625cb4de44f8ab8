// `protosmith demo` (what `npm start` runs), end to end as a child process. --check keeps it from
// rewriting generated/ while the suite runs; everything else (handshakes, openssl s_server,
// drawings to out/) is the real thing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

test('protosmith demo --check: every part reports ok, with a resumed 0-RTT handshake per crypto provider (node, native, webcrypto, noble) and openssl stopped by pid', () => {
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(root, 'bin', 'protosmith.mjs'), 'demo', '--check'], { cwd: root, encoding: 'utf8', timeout: 90_000 });
  const out = `${r.stdout}${r.stderr}`;
  assert.is(r.status, 0, out);
  for (const part of ['generate', 'in-memory handshake \\[node\\]', 'in-memory handshake \\[native\\]', 'in-memory handshake \\[webcrypto\\]', 'in-memory handshake \\[noble\\]', 'openssl s_server', 'drawings']) assert.match(out, new RegExp(`^ok   ${part}$`, 'm'));
  assert.is((out.match(/resumed=true 0rtt=true/g) ?? []).length, 4, 'a resumed 0-RTT handshake with each provider');
  for (const p of ['node', 'native', 'webcrypto', 'noble']) assert.match(out, new RegExp(`crypto provider "${p}"`));
  assert.match(out, /server received 0-RTT data: "0-RTT hello"/);
  const pid = /openssl s_server pid (\d+) stopped/.exec(out)?.[1];
  assert.ok(pid, 'the demo names the s_server pid it stopped');
  assert.throws(() => process.kill(Number(pid), 0), 'that process is gone');
  for (const f of ['client.svg', 'server.svg']) {
    const p = join(root, 'out', f);
    assert.ok(existsSync(p) && statSync(p).mtimeMs >= started - 1000, `out/${f} written by this run`);
  }
});

test.run();

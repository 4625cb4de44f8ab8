// The native provider's addon (native/aead.c, native/hmac.c) under AddressSanitizer: built here with gcc -fsanitize=address,
// then driven in a node process with libasan preloaded (support/native-asan-driver.mjs): thousands of seals
// and opens at every length, split and offset, checked against node:crypto, and thousands of calls with wrong
// arguments. An out-of-bounds read or write anywhere aborts that process with an ASan report, and this test
// fails with it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('native/aead.c and native/hmac.c under AddressSanitizer: every entry point, every length and offset, and wrong arguments of every kind, without one bad memory access', () => {
  const dir = mkdtempSync(join(tmpdir(), 'protosmith-asan-'));
  try {
    const addon = join(dir, 'protosmith_aead.node');
    const include = join(process.execPath, '..', '..', 'include', 'node');
    execFileSync('gcc', ['-shared', '-fPIC', '-O1', '-g', '-fsanitize=address', '-fno-omit-frame-pointer', '-Wall', '-Wextra', '-Werror', `-I${include}`, '-o', addon, join(root, 'native/aead.c'), join(root, 'native/hmac.c')], { stdio: 'pipe' });
    const libasan = execFileSync('gcc', ['-print-file-name=libasan.so']).toString().trim();
    assert.ok(libasan.startsWith('/'), `gcc knows where libasan is (${libasan}); Debian: apt-get install gcc`);
    const run = spawnSync(process.execPath, [join(root, 'test/crypto/support/native-asan-driver.mjs'), addon], {
      env: { ...process.env, LD_PRELOAD: libasan, ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1' }, encoding: 'utf8', timeout: 120_000,
    });
    assert.not.match(run.stderr, /AddressSanitizer/, run.stderr.slice(0, 4000));
    assert.is(run.status, 0, `driver exit ${run.status} ${run.signal ?? ''}: ${run.stderr.slice(0, 2000)}`);
    assert.match(run.stdout, /asan driver: 900 round trips, 600 hmacs, 11 one-byte-over calls refused, \d+ of 4000 wrong calls refused/);
    console.log(`  ${run.stdout.trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

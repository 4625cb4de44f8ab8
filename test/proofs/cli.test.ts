// `protosmith prove` as a command: verdict lines, exit codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../runtime/cli/main.ts';

async function capture(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const write = process.stdout.write;
  const ewrite = process.stderr.write;
  let out = '';
  let err = '';
  process.stdout.write = ((s: string) => { out += s; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => { err += s; return true; }) as typeof process.stderr.write;
  try {
    return { code: await main(args), out, err };
  } finally {
    process.stdout.write = write;
    process.stderr.write = ewrite;
  }
}

test('prove --no-spin passes on the real specs with one verdict line per claim', async () => {
  const { code, out } = await capture(['prove', '--no-spin']);
  assert.is(code, 0, out);
  const verdicts = out.split('\n').filter((l) => /^\s+(PASS|FAIL)\s/.test(l));
  assert.ok(verdicts.length >= 49, `${verdicts.length} verdict lines`);
  assert.not.match(out, /\bFAIL\b/);
  assert.match(out, /PASS {2}tls13\/client_matches_rfc_appendix_a/);
  assert.match(out, /PASS {2}server_connected_only_after_client_certificate_when_requested {2}\(IR, any peer\)/);
  assert.match(out, /all claims hold/);
});

test('prove rejects an unknown option with exit code 2 and the usage', async () => {
  const { code, err } = await capture(['prove', '--frobnicate']);
  assert.is(code, 2);
  assert.match(err, /unknown option --frobnicate/);
  assert.match(err, /usage: protosmith prove/);
});

test.run();

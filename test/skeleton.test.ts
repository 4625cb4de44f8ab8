import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../runtime/cli/main.ts';

test('protosmith with an unknown command exits 2', async () => {
  const write = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    assert.is(await main(['no-such-command']), 2);
  } finally {
    process.stderr.write = write;
  }
});

test.run();

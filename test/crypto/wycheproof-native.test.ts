// Every applicable Wycheproof vector against the native provider (see support/wycheproof-suite.ts): its
// record AEADs are the addon's, the rest is the node provider's.
import { test } from 'uvu';
import { createNativeProvider } from '../../runtime/crypto/native/index.ts';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { wycheproofSuite } from './support/wycheproof-suite.ts';

wycheproofSuite('native', (o) => createNativeProvider({ base: createNodeProvider(o) }));

test.run();

// Every applicable Wycheproof vector against the node provider (see support/wycheproof-suite.ts).
import { test } from 'uvu';
import { createNodeProvider } from '../../runtime/crypto/node/index.ts';
import { wycheproofSuite } from './support/wycheproof-suite.ts';

wycheproofSuite('node', createNodeProvider);

test.run();

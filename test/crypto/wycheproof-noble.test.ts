// Every applicable Wycheproof vector against the noble provider (see support/wycheproof-suite.ts).
import { test } from 'uvu';
import { createNobleProvider } from '../../runtime/crypto/noble/index.ts';
import { wycheproofSuite } from './support/wycheproof-suite.ts';

wycheproofSuite('noble', createNobleProvider);

test.run();

// Every applicable Wycheproof vector against the webcrypto provider (see support/wycheproof-suite.ts).
import { test } from 'uvu';
import { createWebCryptoProvider } from '../../runtime/crypto/webcrypto/index.ts';
import { wycheproofSuite } from './support/wycheproof-suite.ts';

wycheproofSuite('webcrypto', createWebCryptoProvider);

test.run();

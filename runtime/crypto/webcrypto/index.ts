export { createWebCryptoProvider, webCryptoSigningKey, WEBCRYPTO_FALLBACKS, type WebCryptoProviderOptions } from './provider.ts';
export type { ProviderFallback } from '../provider.ts';

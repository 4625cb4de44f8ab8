export { createWebCryptoProvider, webCryptoSigningKey, WEBCRYPTO_FALLBACKS, type WebCryptoProviderOptions, type ProviderFallback } from './provider.ts';

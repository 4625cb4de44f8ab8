export { createNobleProvider, nobleSigningKey, type NobleProviderOptions } from './provider.ts';

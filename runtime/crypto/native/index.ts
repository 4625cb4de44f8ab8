export { createNativeProvider, type NativeProviderOptions } from './provider.ts';

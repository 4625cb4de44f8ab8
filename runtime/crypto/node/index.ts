export { createNodeProvider, type NodeProviderOptions } from './provider.ts';
export { nodeSigningKey } from './signing-key.ts';

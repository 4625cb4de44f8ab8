// The codec runtime: the support library generated codecs call. Imports nothing of ours.
export { Reader, bytesEqual, cutAt, hex, show, stripRight } from './reader.ts';
export { Writer } from './writer.ts';
export { DecodeError, EncodeError, formatPath } from './errors.ts';
export type { AlertDescription, DecodeErrorCode, DecodeErrorInit, EncodeErrorCode, EncodeErrorInit } from './errors.ts';

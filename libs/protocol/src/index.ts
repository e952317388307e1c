// Public entry of @stratus/protocol: the Kafka wire codec. Other packages import only
// from here.

export { Reader } from './primitives/reader.ts';
export { Writer } from './primitives/writer.ts';
export type { WriterOptions } from './primitives/writer.ts';
export { DecodeError, EncodeError } from './primitives/decode-error.ts';
export type { Decoded, DecodeErrorKind } from './primitives/decode-error.ts';
export { VERSION_MAX, inRange } from './schema/spec.ts';
export type { ApiSpec, FieldSpec, MessageSpec, StructSpec, TypeSpec, VersionRange, UnknownTaggedField } from './schema/spec.ts';
export { compileMessage } from './schema/compile.ts';
export type { CompiledMessage, Input } from './schema/compile.ts';
export { codecFor, hasCodec, apiSpec, messageCodec } from './api/codecs.ts';
export { requestHeaderVersion, responseHeaderVersion } from './api/headers.ts';
export { decodeRequestHeader, decodeRequestBody, decodeRequestBodyPrefix, encodeResponse, encodeRequest, decodeResponse } from './api/frames.ts';
export type { ApiKeyNumber, ParsedRequestHeader, DecodedRequestHeader, DecodedRequestBody, DecodedResponse } from './api/frames.ts';
export { ApiRegistry } from './api/registry.ts';
export type { ApiRegistration, AdvertisedApi } from './api/registry.ts';
export { errorInfo, errorName, isRetriable } from './errors.ts';
export * from './generated/index.ts';
export * from './records/index.ts';
export * from './compression/index.ts';

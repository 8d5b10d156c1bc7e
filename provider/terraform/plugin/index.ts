/**
 * Terraform provider transport layer: what a provider's entry point and resources need.
 *
 *   import { create } from '@bufbuild/protobuf';
 *   import { pb, servePluginOrExit, decodeDynamicValue, encodeDynamicValue } from './plugin';
 *   void servePluginOrExit({ getProviderSchema: () => create(pb.GetProviderSchema_ResponseSchema, {...}), ... },
 *                          { name: 'example' });
 */
export * as pb from './gen/tfplugin6_pb';
export type { CtyInput, CtyType, CtyValue, Unknown } from './cty';
export {
  CtyDynamic,
  UNKNOWN,
  ctyNumber,
  decodeDynamicValue,
  decodeJson,
  decodeMsgpack,
  decodeRawState,
  encodeCtyType,
  encodeDynamicValue,
  encodeMsgpack,
  isUnknown,
} from './cty';
export type { DiagnosticOptions, PathStep } from './diagnostics';
export { attributePath, errorDiagnostic, warningDiagnostic } from './diagnostics';
export type { LogLevel, Logger } from './log';
export type { ServeFailure, ServeFailureReason, ServeOptions, ServeResult, ServeSuccess } from './serve';
export {
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  notAPluginMessage,
  servePlugin,
  servePluginOrExit,
} from './serve';
export type { Awaitable, HandlerContext, ProviderHandlers } from './service';
export { RpcError } from './service';

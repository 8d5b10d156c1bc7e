/** Helpers for building Diagnostic and AttributePath messages. */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import type { AttributePath, AttributePath_StepSchema, Diagnostic } from './gen/tfplugin6_pb';
import { AttributePathSchema, DiagnosticSchema, Diagnostic_Severity } from './gen/tfplugin6_pb';

/** A path step: an attribute name, a list/tuple index, or a map key (`{ key }`). */
export type PathStep = string | number | bigint | { readonly key: string };

/** An AttributePath, e.g. `attributePath('rules', 0, 'name')` or `attributePath('tags', { key: 'env' })`. */
export function attributePath(...steps: PathStep[]): AttributePath {
  return create(AttributePathSchema, {
    steps: steps.map((step): MessageInitShape<typeof AttributePath_StepSchema> => {
      if (typeof step === 'string') return { selector: { case: 'attributeName', value: step } };
      if (typeof step === 'object') return { selector: { case: 'elementKeyString', value: step.key } };
      return { selector: { case: 'elementKeyInt', value: BigInt(step) } };
    }),
  });
}

export interface DiagnosticOptions {
  readonly detail?: string;
  /** The attribute the diagnostic is about: Terraform then points at it in the configuration. */
  readonly path?: readonly PathStep[];
}

function diagnostic(severity: Diagnostic_Severity, summary: string, options: DiagnosticOptions): Diagnostic {
  return create(DiagnosticSchema, {
    severity,
    summary,
    detail: options.detail ?? '',
    attribute: options.path ? attributePath(...options.path) : undefined,
  });
}

export function errorDiagnostic(summary: string, options: DiagnosticOptions = {}): Diagnostic {
  return diagnostic(Diagnostic_Severity.ERROR, summary, options);
}

export function warningDiagnostic(summary: string, options: DiagnosticOptions = {}): Diagnostic {
  return diagnostic(Diagnostic_Severity.WARNING, summary, options);
}

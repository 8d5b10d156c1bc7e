import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { attributePath, errorDiagnostic, warningDiagnostic } from './diagnostics';
import { DiagnosticSchema, Diagnostic_Severity } from './gen/tfplugin6_pb';

test('attributePath: names, indexes and map keys', () => {
  expect(attributePath('rules', 0, 'name', { key: 'env' }).steps.map((s) => s.selector)).toEqual([
    { case: 'attributeName', value: 'rules' },
    { case: 'elementKeyInt', value: 0n },
    { case: 'attributeName', value: 'name' },
    { case: 'elementKeyString', value: 'env' },
  ]);
});

test('diagnostics survive the wire', () => {
  const d = errorDiagnostic('Bad value', { detail: 'Use a shorter name.', path: ['name'] });
  const back = fromBinary(DiagnosticSchema, toBinary(DiagnosticSchema, d));
  expect(back.severity).toBe(Diagnostic_Severity.ERROR);
  expect(back.summary).toBe('Bad value');
  expect(back.detail).toBe('Use a shorter name.');
  expect(back.attribute?.steps).toHaveLength(1);
  expect(warningDiagnostic('Careful').severity).toBe(Diagnostic_Severity.WARNING);
  expect(warningDiagnostic('Careful').attribute).toBeUndefined();
});

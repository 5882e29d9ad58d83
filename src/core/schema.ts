// One strict ajv for every schema we own. Validation never changes the data (no coercion,
// no defaults, no removal) so error positions still match the source file.
import type { ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';

let ajv: Ajv2020 | undefined;

function instance(): Ajv2020 {
  ajv ??= new Ajv2020({
    strict: true,
    allErrors: true,
    $data: false,
    coerceTypes: false,
    useDefaults: false,
    removeAdditional: false,
    unicodeRegExp: true,
    validateFormats: false,
    // Checking our own schemas against the draft's meta-schema costs ~50 ms at every start;
    // the tests do it once instead (test/core/releases-load.test.ts, ledger tests).
    validateSchema: false,
  });
  return ajv;
}

export function compileSchema<T>(schema: object): ValidateFunction<T> {
  return instance().compile<T>(schema);
}

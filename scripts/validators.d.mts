// Types of scripts/validators.mjs, for the tests that import it.

import type { Options } from 'ajv';
import type Ajv2020 from 'ajv/dist/2020.js';

export const GENERATED_JS: string;
export const GENERATED_DTS: string;
export const EDITOR_KEYWORDS: string[];
export function newAjv(options?: Options): Ajv2020;
export function generateValidators(): Promise<Record<string, string>>;
export function staleValidators(): Promise<string[]>;
export function writeValidators(): Promise<void>;

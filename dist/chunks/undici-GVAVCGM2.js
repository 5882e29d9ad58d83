import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a}from"./chunk-S2CX2YBF.js";import"./chunk-LIQU27LZ.js";export default a();

import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-2CYKIBAD.js";import"./chunk-ZPIAGMGV.js";import"./chunk-T4R53OPC.js";import"./chunk-S2CX2YBF.js";import"./chunk-5S3JGAZJ.js";import"./chunk-LIQU27LZ.js";export{b as CloudflareClient,a as DEFAULT_TIMEOUTS,c as pathSegment};

import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-7MEMQF4G.js";import"./chunk-V3B7DLMS.js";import"./chunk-T4R53OPC.js";import"./chunk-S2CX2YBF.js";import"./chunk-B7NG4YK7.js";import"./chunk-LIQU27LZ.js";export{b as CloudflareClient,a as DEFAULT_TIMEOUTS,c as pathSegment};

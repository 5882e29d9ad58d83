import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-BR65JU3T.js";import"./chunk-ZDPY2PUW.js";import"./chunk-TOIHAUPR.js";import"./chunk-S2CX2YBF.js";import"./chunk-LIQU27LZ.js";export{b as CloudflareClient,a as DEFAULT_TIMEOUTS,c as pathSegment};

import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a,b}from"./chunk-S5LK3FOP.js";import"./chunk-AZFM7YTG.js";import"./chunk-FEYFD3MC.js";import"./chunk-S2CX2YBF.js";import"./chunk-LIQU27LZ.js";export{b as CloudflareClient,a as DEFAULT_TIMEOUTS};

import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-CTSOXQN4.js";import"./chunk-J4KHYL7N.js";import"./chunk-S2CX2YBF.js";import"./chunk-FO6OZNAS.js";import"./chunk-5ACFXMEZ.js";import"./chunk-UFMNLMNZ.js";import"./chunk-LIQU27LZ.js";export{b as CloudflareClient,a as DEFAULT_TIMEOUTS,c as pathSegment};

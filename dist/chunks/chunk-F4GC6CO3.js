import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
function e(r){return r.then(o=>({ok:!0,value:o}),o=>({ok:!1,error:o}))}function t(r){if(!r.ok)throw r.error;return r.value}export{e as a,t as b};

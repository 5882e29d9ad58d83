import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
function n(e){return{info:r=>e.stderr(`${r}
`),warn:r=>e.stderr(`warning: ${r}
`),error:r=>e.stderr(`error: ${r}
`)}}export{n as a};

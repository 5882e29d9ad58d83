import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{c as a}from"./chunk-P34CKBFM.js";import{i as r}from"./chunk-ORRTYNVY.js";var i=9e5,l=2e3;function t(e,n){return a(e,{file:n.file,maxChars:i,overflowHint:"the results file",redact:n.redact??!1})}function m(e,n){return`## quarantine-release plan

${t(e,n)}`}function s(e,n){let o=n.unreviewed?"> ⚠️ `require-reviewed-plan` is off: entries were released as the file says, whether or not a plan reviewed them.\n\n":"";return`## quarantine-release${e.dryRun?" (dry run)":""}

${o}${r(e,l)}
${t(e.plan,n)}`}export{m as a,s as b};

import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as m,b as q,d as T,e as F}from"./chunk-WJL6Z75Q.js";import{h as N}from"./chunk-6RCD67VU.js";import{a as v,b as A,c as p,d as E,e as P,f as S,g as I}from"./chunk-5ZHEZIVF.js";import{b as k,e as x,g as _}from"./chunk-54IBFPAE.js";var H=/^<!-- quarantine-release account=([0-9a-f]{32})(?: plan=([0-9a-f]{32}) basis=(ids|dispositions)(?: entries=([A-Za-z0-9_-]*))?(?: searches=([A-Za-z0-9_.,-]*))?)? -->/,D="<!-- quarantine-release file -->",h="<!-- quarantine-release file fixed -->";function U(e){let n=e.plan?.entries?` entries=${e.plan.entries.join("")}`:"",t=e.plan?.searches?` searches=${[...e.plan.searches].map(([s,i])=>`${s}.${i}`).join(",")}`:"",r=e.plan?` plan=${e.plan.fingerprint} basis=${e.plan.basis}${n}${t}`:"";return`<!-- quarantine-release account=${e.account}${r} -->`}function j(e){let n=H.exec(e);if(!n||!k(n[1]))return;let t=n[1];if(!n[2])return{account:t};let r={fingerprint:n[2],basis:n[3]},s=n[4];s!==void 0&&s.length%p===0&&s.length<=E*p&&(r.entries=s.match(new RegExp(`.{${p}}`,"g"))??[]);let i=(n[5]??"").split(",").map(a=>/^([A-Za-z0-9_-]{8})\.([0-9]{1,6})$/.exec(a));return n[5]&&i.length<=S&&i.every(a=>a!==null)&&(r.searches=new Map(i.map(a=>[a?.[1],Number(a?.[2])]))),{account:t,plan:r}}function Y(e,n){let t={plans:new Map,untrusted:new Map,editors:[]},r=new Set;for(let s of e){if(s.user?.login!==n)continue;let i=s.editor?.login,a=i!==void 0&&i!==n;a&&!t.editors.includes(i)&&t.editors.push(i);let l=j(s.body??"");if(!l||r.has(l.account))continue;if(r.add(l.account),a){t.untrusted.set(l.account,`the plan comment for account ${l.account} was edited by ${i} after quarantine-release wrote it`);continue}let o=l.plan;o&&t.plans.set(l.account,{fingerprint:o.fingerprint,basis:o.basis,...o.entries?{entries:new Set(o.entries)}:{},...o.searches?{searches:o.searches}:{}})}return t}function J(e,n){return e.find(t=>{let r=t.body??"";return t.user?.login===n&&(r.startsWith(D)||r.startsWith(h))})}function Q(e){return(e.body??"").startsWith(h)}function V(e,n,t){return e.find(r=>r.user?.login===t&&j(r.body??"")?.account===n)}var L={planned:"📋 Plan: nothing is released until this pull request is merged",invalid:"❌ releases.yaml is invalid: nothing can be planned",applied:"✅ Applied on merge",refused:"⛔ Not applied"};function ee(e,n,t){let r=U({account:e.account_id,...z(e,t.reviewedBeforeMerge)}),s=F(e),i=t.unreviewed?"> ⚠️ `require-reviewed-plan` is off: on merge, apply releases what the file says, whether or not this plan reviewed it.\n\n":"",a=`${r}
## quarantine-release · account ${_(e.account_id)}

**${L[n.kind]}**

${i}${s?`${s}: listed first below.

`:""}`,l=n.kind==="refused"?`${a}> ${x(n.reason,1e3)}

`:a,o=$(t.runUrl," · the full plan is in the job summary"),C=`<details${n.kind==="planned"?" open":""}><summary>Plan</summary>

`,b=`
</details>
`,c=m-l.length-C.length-b.length-o.length,d="";if(n.kind==="applied"){let f=B=>B.account_id===e.account_id,{later:w,plan:R}=n.report,O={...n.report,results:n.report.results.filter(f),...w?{later:w.filter(f)}:{},...R?{plan:{accounts:R.accounts.filter(f)}}:{}},M=Math.floor(c/2);d=`${N(O,300,M)}
`,d.length>M&&(d=`${g("The results")}
`),c-=d.length}let u=q(e,{file:t.file,maxChars:Math.max(0,c),overflowHint:"the job summary",redact:t.redact??!1});u.length>c&&(u=g("The plan"));let y=`${l}${d}${C}${u}${b}${o}`;return y.length<=m?y:`${a}${g("This report")}
${o}`}function z(e,n){if(n){let i=n.get(e.account_id);if(!i?.basis)return{};let a=i.entries?[...i.entries]:void 0;return{plan:{fingerprint:i.fingerprint,basis:i.basis,...a?{entries:a}:{},...i.searches?{searches:i.searches}:{}}}}let t=v(e),r=P(e,t),s=I(e);return{plan:{fingerprint:A(e,t),basis:t,...r?{entries:r}:{},...s?{searches:s}:{}}}}var g=e=>`_${e} is too long for a comment: see the job summary of the run._
`;function ne(e,n,t="releases"){let r=t==="ledger"?"❌ The ledger was changed outside quarantine-release, or is corrupt: nothing can be planned":L.invalid;return`${D}
## quarantine-release

**${r}**

${T(e,"Problems",100)}${$(n.runUrl,"")}`}function te(e){return`${h}
## quarantine-release

~~releases.yaml is invalid~~ It reads again: the plan is in the comments below.${$(e.runUrl,"")}`}function $(e,n){return!e||e.length>500||!/^https?:\/\/[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+$/.test(e)||/[()[\]<>]/.test(e)?"":`
---
<sub>[Run](${e})${n}</sub>
`}export{Y as a,J as b,Q as c,V as d,ee as e,ne as f,te as g};

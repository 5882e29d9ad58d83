import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as m,b as q,d as T,e as F}from"./chunk-P34CKBFM.js";import{i as I}from"./chunk-ORRTYNVY.js";import{a as _,b as v,c as u,d as A,e as E,f as P,g as S}from"./chunk-YZJFWNPZ.js";import{b as M,e as k,g as x}from"./chunk-54IBFPAE.js";var H=/^<!-- quarantine-release account=([0-9a-f]{32})(?: plan=([0-9a-f]{32}) basis=(ids|dispositions)(?: entries=([A-Za-z0-9_-]*))?(?: searches=([A-Za-z0-9_.,-]*))?)? -->/,N="<!-- quarantine-release file -->",h="<!-- quarantine-release file fixed -->";function U(e){let n=e.plan?.entries?` entries=${e.plan.entries.join("")}`:"",t=e.plan?.searches?` searches=${[...e.plan.searches].map(([i,s])=>`${i}.${s}`).join(",")}`:"",r=e.plan?` plan=${e.plan.fingerprint} basis=${e.plan.basis}${n}${t}`:"";return`<!-- quarantine-release account=${e.account}${r} -->`}function D(e){let n=H.exec(e);if(!n||!M(n[1]))return;let t=n[1];if(!n[2])return{account:t};let r={fingerprint:n[2],basis:n[3]},i=n[4];i!==void 0&&i.length%u===0&&i.length<=A*u&&(r.entries=i.match(new RegExp(`.{${u}}`,"g"))??[]);let s=(n[5]??"").split(",").map(o=>/^([A-Za-z0-9_-]{8})\.([0-9]{1,6})$/.exec(o));return n[5]&&s.length<=P&&s.every(o=>o!==null)&&(r.searches=new Map(s.map(o=>[o?.[1],Number(o?.[2])]))),{account:t,plan:r}}function Y(e,n){let t={plans:new Map,untrusted:new Map,editors:[]},r=new Set;for(let i of e){if(i.user?.login!==n)continue;let s=i.editor?.login,o=s!==void 0&&s!==n;o&&!t.editors.includes(s)&&t.editors.push(s);let a=D(i.body??"");if(!a||r.has(a.account))continue;if(r.add(a.account),o){t.untrusted.set(a.account,`the plan comment for account ${a.account} was edited by ${s} after quarantine-release wrote it`);continue}let l=a.plan;l&&t.plans.set(a.account,{...l,entries:l.entries?new Set(l.entries):void 0})}return t}function J(e,n){return e.find(t=>{let r=t.body??"";return t.user?.login===n&&(r.startsWith(N)||r.startsWith(h))})}function Q(e){return(e.body??"").startsWith(h)}function V(e,n,t){return e.find(r=>r.user?.login===t&&D(r.body??"")?.account===n)}var j={planned:"📋 Plan: nothing is released until this pull request is merged",invalid:"❌ releases.yaml is invalid: nothing can be planned",applied:"✅ Applied on merge",refused:"⛔ Not applied"};function ee(e,n,t){let r=U({account:e.account_id,...z(e,t.reviewedBeforeMerge)}),i=F(e),s=t.unreviewed?"> ⚠️ `require-reviewed-plan` is off: on merge, apply releases what the file says, whether or not this plan reviewed it.\n\n":"",o=`${r}
## quarantine-release · account ${x(e.account_id)}

**${j[n.kind]}**

${s}${i?`${i}: listed first below.

`:""}`,a=n.kind==="refused"?`${o}> ${k(n.reason,1e3)}

`:o,l=$(t.runUrl," · the full plan is in the job summary"),C=`<details${n.kind==="planned"?" open":""}><summary>Plan</summary>

`,b=`
</details>
`,c=m-a.length-C.length-b.length-l.length,d="";if(n.kind==="applied"){let f=B=>B.account_id===e.account_id,{later:L,plan:w}=n.report,O={...n.report,results:n.report.results.filter(f),later:L?.filter(f),plan:w?{accounts:w.accounts.filter(f)}:void 0},R=Math.floor(c/2);d=`${I(O,300,R)}
`,d.length>R&&(d=`${g("The results")}
`),c-=d.length}let p=q(e,{file:t.file,maxChars:Math.max(0,c),overflowHint:"the job summary",redact:t.redact??!1});p.length>c&&(p=g("The plan"));let y=`${a}${d}${C}${p}${b}${l}`;return y.length<=m?y:`${o}${g("This report")}
${l}`}function z(e,n){if(n){let r=n.get(e.account_id);return r?.basis?{plan:{fingerprint:r.fingerprint,basis:r.basis,entries:r.entries?[...r.entries]:void 0,searches:r.searches}}:{}}let t=_(e);return{plan:{fingerprint:v(e,t),basis:t,entries:E(e,t),searches:S(e)}}}var g=e=>`_${e} is too long for a comment: see the job summary of the run._
`;function ne(e,n,t="releases"){let r=t==="ledger"?"❌ The ledger was changed outside quarantine-release, or is corrupt: nothing can be planned":j.invalid;return`${N}
## quarantine-release

**${r}**

${T(e,"Problems",100)}${$(n.runUrl,"")}`}function te(e){return`${h}
## quarantine-release

~~releases.yaml is invalid~~ It reads again: the plan is in the comments below.${$(e.runUrl,"")}`}function $(e,n){return!e||e.length>500||!/^https?:\/\/[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+$/.test(e)||/[()[\]<>]/.test(e)?"":`
---
<sub>[Run](${e})${n}</sub>
`}export{Y as a,J as b,Q as c,V as d,ee as e,ne as f,te as g};

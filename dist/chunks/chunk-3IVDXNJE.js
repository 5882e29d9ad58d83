import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as V,b as z,d as G,e as H}from"./chunk-GL2FT2FA.js";import{a as q}from"./chunk-QPQI5ZLT.js";import{a as B}from"./chunk-JJ7ZJA3C.js";import{a as $,d as K}from"./chunk-5WVKXDWH.js";import{c as j}from"./chunk-6O2USRW4.js";import{c as x}from"./chunk-MWMK5NSP.js";import{a as D,b as R}from"./chunk-BOVV2QJT.js";import{c as F}from"./chunk-FYV5JBAF.js";import{a as b,b as U}from"./chunk-5ZHEZIVF.js";import{a as S,f as C,h as P}from"./chunk-NA5I447T.js";import{i as I}from"./chunk-YH4IPXTA.js";import{a as c,b as u,c as L,d as w,e as k,f as y}from"./chunk-7Q22RLLD.js";import{a as v,b as M}from"./chunk-T4R53OPC.js";import{a as A,c as T,d as N}from"./chunk-GIA5RIS2.js";import{b as _}from"./chunk-F6MHY6Q7.js";import{resolve as ne}from"node:path";function W(t,e,r){if(!(!["CLOUDFLARE_API_TOKEN","CLOUDFLARE_EMAIL","CLOUDFLARE_API_KEY"].some(s=>(t[s]??"").trim()!=="")&&!e))return M({token:t.CLOUDFLARE_API_TOKEN,email:t.CLOUDFLARE_EMAIL,key:t.CLOUDFLARE_API_KEY,baseUrl:t.CLOUDFLARE_API_BASE_URL,...r!==void 0?{searchPageSize:r}:{},names:{token:"CLOUDFLARE_API_TOKEN",email:"CLOUDFLARE_EMAIL",key:"CLOUDFLARE_API_KEY",baseUrl:"CLOUDFLARE_API_BASE_URL"}})}var Z=300,ge=1e3,ie={"search-page-size":{type:"string"}},le=`  --search-page-size N    results per search page asked for, 1-${1e3} (default: ${100});
                          after a 400 it asks for half as many, down to 20, and says so`;function J(t){return y(t,"search-page-size",100,1,1e3)}var Q={...ie,"lookup-budget":{type:"string"},"require-ack":{type:"string"},redact:{type:"boolean"}},ee=`${le}
  --lookup-budget N       at most N lookup requests for message details (default: ${Z});
                          a message that could not be checked is refused, never released
  --require-ack LIST      dispositions released only with a matching \`acknowledge\`
                          (default: ${A.join(",")}; any of
                          ${T.join(",")}, with MALICIOUS and MALICIOUS-BEC)
  --redact                hide subjects and addresses (dispositions and counts only)`;function te(t){return y(t,"lookup-budget",Z,1,1e5)}function re(t){let e=t["require-ack"];if(e===void 0)return[...A];let r=String(e).split(",").map(s=>s.trim().toUpperCase()).filter(s=>s!==""),o=N(r);if(o)throw new u(`--require-ack ${o}`);return r}function he(t){let e=t.fingerprint,r=Array.isArray(e)?e:typeof e=="string"?[e]:[],o=new Map;for(let s of r){let i=/^(?:([0-9a-f]{32}):)?([0-9a-f]{32})$/.exec(s);if(!i)throw new u("--fingerprint must be the 32-character fingerprint printed by plan, or ACCOUNT:FINGERPRINT");o.set(i[1]??"*",{fingerprint:i[2]})}return o}function de(t){let e=t.account,r=Array.isArray(e)?e:typeof e=="string"?[e]:[];for(let o of r)if(!_(o))throw new u("--account must be 32 lowercase hexadecimal characters");return r}var $e={name:"plan",summary:"show what apply would do: the file minus the ledger, each message checked when credentials are set",options:{releases:{type:"string"},ledger:{type:"string"},format:{type:"string"},account:{type:"string",multiple:!0},...Q},help:`Usage: quarantine-release plan [--releases FILE] [--ledger DIR] [--format text|markdown|json] [--account ID]...

Compares releases.yaml with the ledger and prints, per account: the messages to release
now, those to verify first (a send with no known outcome), those already released, those
held (partial or failed, not sent again without \`retry\`), and ledger entries no longer in
the file. Writes nothing and releases nothing.

With Cloudflare credentials in the environment (as for apply), each message to release is
looked up once and shown with its subject, sender, recipients, scan time, disposition and
detection reasons. Messages that do not exist, are no longer quarantined or were released
elsewhere, and malicious mail without \`acknowledge\`, are listed first as refused.
Without credentials nothing is looked up; apply checks every message before sending it.
Each account's plan ends with a fingerprint: pass it to apply (--fingerprint) to release
exactly the plan reviewed.

Options:
  --releases FILE         the requests file (default: releases.yaml)
  --ledger DIR            the ledger directory (default: releases.ledger)
  --format FORMAT         text (default), markdown (as in the pull-request comment) or json
  --account ID            plan only this account (repeatable)
${ee}
  -h, --help              show this help

Exit codes: 0 planned, 1 invalid releases file, missing or corrupt ledger, or a refused message,
2 usage error, 3 some messages could not be checked (an unreachable API, the lookup budget).
`,async run(t,e){let r=w(t,"releases","releases.yaml"),o=w(t,"ledger","releases.ledger"),s=k(t,"format",["text","markdown","json"],"text"),i=de(t),E=t.redact===!0,oe={lookupBudget:te(t),guarded:re(t)},f;try{f=W(e.env,!1,J(t))}catch(n){if(!(n instanceof v))throw n;return e.stderr(`quarantine-release plan: ${n.message}
`),c.invalid}let d=H(e),m=ne(e.cwd,o),se=new q(m,d,await G(e,m,o,d)),O=Date.now(),p=await F(()=>I(ne(e.cwd,r)),r,se,O);if(!p.ok)return e.stderr(R(p.errors)),p.stage==="ledger"&&e.stderr(`The ledger is corrupt, or was changed outside quarantine-release: nothing can be planned until it is repaired.
`),c.invalid;if(!await V(m))return e.stderr(z("plan",o)),c.invalid;let g=f?await $(f,{log:d}):void 0,l;try{let n=e.signal?{halt:e.signal}:{},a=await K(p.file,g,{accounts:i,log:d,...n}),h=S(a.file,p.ledger.index,{accounts:i});l=await B(C(h,a.outcomes,i),g,{...oe,now:O,log:d,known:a.views,...n})}finally{await g?.close()}if(s==="json")x(l,e.stdout);else if(s==="markdown")e.stdout(j(l,{file:r,redact:E}));else{e.stdout(D(l,{file:r,redact:E}));for(let n of l.accounts){if(n.to_release.length===0)continue;let a=b(n),h=(n.searches??[]).some(ae=>ae.status.kind==="unresolved")?"; search entries are not covered until a plan with credentials resolves them":"";e.stdout(`Fingerprint of ${n.account_id}: ${U(n,a)}${a==="ids"?` (ids only: nothing was looked up${h})`:""}
`)}}return L([...l.accounts.flatMap(n=>(n.refused??[]).map(a=>a.reason)),...P(l)])??c.ok}};export{W as a,ge as b,ie as c,J as d,Q as e,ee as f,te as g,re as h,he as i,de as j,$e as k};

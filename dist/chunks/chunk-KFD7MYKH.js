import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as V,b as z,e as G,f as H}from"./chunk-Q2KIYO5V.js";import{a as q}from"./chunk-Z62EGUB5.js";import{a as B}from"./chunk-BLQYOFZT.js";import{a as M,e as K}from"./chunk-E5WIJPW6.js";import{c as j}from"./chunk-QWBTUILN.js";import{c as U}from"./chunk-O5NGSTJG.js";import{a as D,b as R}from"./chunk-UWL2SQYP.js";import{c as F}from"./chunk-RQZBXVPK.js";import{a as P,b as x}from"./chunk-5ZHEZIVF.js";import{a as S,f as C,h as b}from"./chunk-ZH4DSY25.js";import{i as _}from"./chunk-75JSUAJC.js";import{a as i,b as u,c as L,d as w,e as I,f as y}from"./chunk-7Q22RLLD.js";import{a as N,b as $}from"./chunk-T4R53OPC.js";import{a as E,c as T,d as v}from"./chunk-GIA5RIS2.js";import{b as k}from"./chunk-F6MHY6Q7.js";import{resolve as ne}from"node:path";function W(t,e,r,n){try{return ie(t.env,r,n)}catch(o){if(!(o instanceof N))throw o;return t.stderr(`quarantine-release ${e}: ${o.message}
`),i.invalid}}function ie(t,e,r){if(!(!["CLOUDFLARE_API_TOKEN","CLOUDFLARE_EMAIL","CLOUDFLARE_API_KEY"].some(o=>(t[o]??"").trim()!=="")&&!e))return $({token:t.CLOUDFLARE_API_TOKEN,email:t.CLOUDFLARE_EMAIL,key:t.CLOUDFLARE_API_KEY,baseUrl:t.CLOUDFLARE_API_BASE_URL,...r!==void 0?{searchPageSize:r}:{},names:{token:"CLOUDFLARE_API_TOKEN",email:"CLOUDFLARE_EMAIL",key:"CLOUDFLARE_API_KEY",baseUrl:"CLOUDFLARE_API_BASE_URL"}})}var Z=300,we=1e3,le={"search-page-size":{type:"string"}},de=`  --search-page-size N    results per search page asked for, 1-${1e3} (default: ${100});
                          after a 400 it asks for half as many, down to 20, and says so`;function J(t){return y(t,"search-page-size",100,1,1e3)}var Q={...le,"lookup-budget":{type:"string"},"require-ack":{type:"string"},redact:{type:"boolean"}},ee=`${de}
  --lookup-budget N       at most N lookup requests for message details (default: ${Z});
                          a message that could not be checked is refused, never released
  --require-ack LIST      dispositions released only with a matching \`acknowledge\`
                          (default: ${E.join(",")}; any of
                          ${T.join(",")}, with MALICIOUS and MALICIOUS-BEC)
  --redact                hide subjects and addresses (dispositions and counts only)`;function te(t){return y(t,"lookup-budget",Z,1,1e5)}function re(t){let e=t["require-ack"];if(e===void 0)return[...E];let r=String(e).split(",").map(o=>o.trim().toUpperCase()).filter(o=>o!==""),n=v(r);if(n)throw new u(`--require-ack ${n}`);return r}function ye(t){let e=t.fingerprint,r=Array.isArray(e)?e:typeof e=="string"?[e]:[],n=new Map;for(let o of r){let l=/^(?:([0-9a-f]{32}):)?([0-9a-f]{32})$/.exec(o);if(!l)throw new u("--fingerprint must be the 32-character fingerprint printed by plan, or ACCOUNT:FINGERPRINT");n.set(l[1]??"*",{fingerprint:l[2]})}return n}function pe(t){let e=t.account,r=Array.isArray(e)?e:typeof e=="string"?[e]:[];for(let n of r)if(!k(n))throw new u("--account must be 32 lowercase hexadecimal characters");return r}var qe={name:"plan",summary:"show what apply would do: the file minus the ledger, each message checked when credentials are set",options:{releases:{type:"string"},ledger:{type:"string"},format:{type:"string"},account:{type:"string",multiple:!0},...Q},help:`Usage: quarantine-release plan [--releases FILE] [--ledger DIR] [--format text|markdown|json] [--account ID]...

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
`,async run(t,e){let r=w(t,"releases","releases.yaml"),n=w(t,"ledger","releases.ledger"),o=I(t,"format",["text","markdown","json"],"text"),l=pe(t),A=t.redact===!0,oe={lookupBudget:te(t),guarded:re(t)},m=W(e,"plan",!1,J(t));if(m===i.invalid)return i.invalid;let p=H(e),f=ne(e.cwd,n),se=new q(f,p,await G(e,f,n,p)),O=Date.now(),c=await F(()=>_(ne(e.cwd,r)),r,se,O);if(!c.ok)return e.stderr(R(c.errors)),c.stage==="ledger"&&e.stderr(`The ledger is corrupt, or was changed outside quarantine-release: nothing can be planned until it is repaired.
`),i.invalid;if(!await V(f))return e.stderr(z("plan",n)),i.invalid;let g=m?await M(m,{log:p}):void 0,d;try{let s=e.signal?{halt:e.signal}:{},a=await K(c.file,g,{accounts:l,log:p,...s}),h=S(a.file,c.ledger.index,{accounts:l});d=await B(C(h,a.outcomes,l),g,{...oe,now:O,log:p,known:a.views,...s})}finally{await g?.close()}if(o==="json")U(d,e.stdout);else if(o==="markdown")e.stdout(j(d,{file:r,redact:A}));else{e.stdout(D(d,{file:r,redact:A}));for(let s of d.accounts){if(s.to_release.length===0)continue;let a=P(s),h=(s.searches??[]).some(ae=>ae.status.kind==="unresolved")?"; search entries are not covered until a plan with credentials resolves them":"";e.stdout(`Fingerprint of ${s.account_id}: ${x(s,a)}${a==="ids"?` (ids only: nothing was looked up${h})`:""}
`)}}return L([...d.accounts.flatMap(s=>(s.refused??[]).map(a=>a.reason)),...b(d)])??i.ok}};export{W as a,ie as b,we as c,le as d,J as e,Q as f,ee as g,te as h,re as i,ye as j,pe as k,qe as l};

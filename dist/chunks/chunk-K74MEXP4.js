import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as L}from"./chunk-CGFUH6NB.js";import{c as $}from"./chunk-P34CKBFM.js";import{c as D}from"./chunk-CCLZTTMR.js";import{a as W,e as H,f as _,g as z,h as J,i as U}from"./chunk-H3WEXOXR.js";import{b as R,e as A}from"./chunk-OG2C2PGC.js";import{a as B}from"./chunk-YNLNTV4W.js";import{a as q}from"./chunk-2S5M77H7.js";import{a as j,e as M}from"./chunk-45Y7IGMO.js";import{a as E,b as S}from"./chunk-STF3I3OV.js";import{c as T}from"./chunk-I754YZUD.js";import{a as C,b as P}from"./chunk-YZJFWNPZ.js";import{a as v,f as F,h as I}from"./chunk-6YXNE7OO.js";import{i as b}from"./chunk-YIEWQOK2.js";import{a as s,c as k,d as h,f as x,g as O}from"./chunk-BMCYM6BZ.js";import{resolve as X}from"node:path";var he={name:"plan",summary:"show what apply would do: the file minus the ledger, each message checked when credentials are set",options:{releases:{type:"string"},ledger:{type:"string"},format:{type:"string"},account:{type:"string",multiple:!0},..._},help:`Usage: quarantine-release plan [--releases FILE] [--ledger DIR] [--format text|markdown|json] [--account ID]...

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
${z}
  -h, --help              show this help

Exit codes: 0 planned, 1 invalid releases file, missing or corrupt ledger, or a refused message,
2 usage error, 3 some messages could not be checked (an unreachable API, the lookup budget).
`,async run(r,e){let l=h(r,"releases","releases.yaml"),d=h(r,"ledger","releases.ledger"),g=O(r,"format",["text","markdown","json"],"text"),c=x(r),w=r.redact===!0,G={lookupBudget:J(r),guarded:U(r)},p=W(e,"plan",!1,H(r));if(p===s.invalid)return s.invalid;let a=B(e),m=X(e.cwd,d),K=new q(m,a,await A(e,m,d,a)),y=Date.now(),i=await T(()=>b(X(e.cwd,l)),l,K,y);if(!i.ok)return e.stderr(S(i.errors)),i.stage==="ledger"&&e.stderr(`The ledger is corrupt, or was changed outside quarantine-release: nothing can be planned until it is repaired.
`),s.invalid;if(!await R(e,"plan",m,d))return s.invalid;let u=p?await j(p,{log:a}):void 0,o;try{let t=e.signal?{halt:e.signal}:{},n=await M(i.file,u,{accounts:c,log:a,...t}),f=v(n.file,i.ledger.index,{accounts:c});o=await L(F(f,n.outcomes,c),u,{...G,now:y,log:a,known:n.views,...t})}finally{await u?.close()}if(g==="json")D(o,e.stdout);else if(g==="markdown")e.stdout($(o,{file:l,redact:w}));else{e.stdout(E(o,{file:l,redact:w}));for(let t of o.accounts){if(t.to_release.length===0)continue;let n=C(t),f=(t.searches??[]).some(N=>N.status.kind==="unresolved")?"; search entries are not covered until a plan with credentials resolves them":"";e.stdout(`Fingerprint of ${t.account_id}: ${P(t,n)}${n==="ids"?` (ids only: nothing was looked up${f})`:""}
`)}}return k([...o.accounts.flatMap(t=>(t.refused??[]).map(n=>n.reason)),...I(o)])??s.ok}};export{he as a};

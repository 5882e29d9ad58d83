import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as z}from"./chunk-ZVPLCRCP.js";import{a as $,c as M,e as B,g as G}from"./chunk-A5GZW4ER.js";import{a as x,c as m,e as v,f as H,g as q,h as N,i as P,j as F,k as D}from"./chunk-KFD7MYKH.js";import{a as L,c as U,e as C,f as k}from"./chunk-Q2KIYO5V.js";import{a as T}from"./chunk-Z62EGUB5.js";import{a as S}from"./chunk-E5WIJPW6.js";import{b as A}from"./chunk-UWL2SQYP.js";import{h as O}from"./chunk-ZH4DSY25.js";import{i as E}from"./chunk-75JSUAJC.js";import{a as i,c as I,d as u,e as R,f as a}from"./chunk-7Q22RLLD.js";import{b as _}from"./chunk-GRLPJF4I.js";import{b as p}from"./chunk-DQQKFFV5.js";import{hostname as ie,userInfo as ae}from"node:os";import{resolve as Y}from"node:path";var K=100,X=2,Le={name:"apply",summary:"release the planned messages, at most once, and record every outcome in the ledger",options:{releases:{type:"string"},ledger:{type:"string"},"batch-size":{type:"string"},concurrency:{type:"string"},"deadline-minutes":{type:"string"},"timeout-seconds":{type:"string"},"settle-seconds":{type:"string"},"dry-run":{type:"boolean"},format:{type:"string"},account:{type:"string",multiple:!0},"max-releases":{type:"string"},force:{type:"boolean"},fingerprint:{type:"string",multiple:!0},unreviewed:{type:"boolean"},...H},help:`Usage: quarantine-release apply [--releases FILE] [--ledger DIR] [--batch-size N] [--dry-run] [--format text|json]

Releases every message of the plan that the ledger does not show as released, then records
each outcome in the ledger (the files change; committing them is up to you):
  1. messages whose last send has no known outcome are read back first; only one still
     quarantined with no release recorded is sent again;
  2. every message is checked right before it is sent: it must exist, still be in
     quarantine, and a guarded disposition (MALICIOUS, MALICIOUS-BEC, SPOOF) needs a
     matching \`acknowledge\` on its entry; refused messages are reported, the rest go on;
  3. each batch is written to the ledger as pending (flushed to disk) before it is sent;
     a batch is sent once and never retried automatically;
  4. a rate limit (429) or an unreachable API stops the run; those messages stay pending and
     are sent by a later run. SIGINT/SIGTERM: no new batch starts, the one in flight is
     recorded, exit 3;
  5. a send whose run died (kill -9, a crash) may still be at Cloudflare for a while: it is
     read back only once it has surely ended (--settle-seconds after its request timeout or
     the next run's start, whichever is sooner); until then it is left pending, exit 3.

Credentials (environment): CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL with CLOUDFLARE_API_KEY.
API base URL: CLOUDFLARE_API_BASE_URL (default https://api.cloudflare.com/client/v4).

Options:
  --releases FILE         the requests file (default: releases.yaml)
  --ledger DIR            the ledger directory (default: releases.ledger)
  --batch-size N          ids per request, 1-1000 (default: ${K})
  --concurrency N         requests in flight at once, 1-16 (default: ${X})
  --deadline-minutes N    start no new batch after N minutes (default: 60)
  --timeout-seconds N     give up on one request after N seconds (default: 180); a release
                          that times out is recorded unknown and read back by the next run
  --settle-seconds N      how long Cloudflare may still act on a request after its sender
                          stopped waiting (default: ${12e4/1e3}); an earlier send is only
                          resolved by read-back after that, waiting up to N seconds for it
  --dry-run               read back and report what would be sent; send and write nothing
  --format FORMAT         text (default) or json: {"results": [{account_id, id, state, delivered, failed, undelivered, ...}]}
  --account ID            apply only this account (repeatable)
  --max-releases N        refuse the whole run when more than N messages would be released
                          (default: ${m}); --force releases them anyway
  --fingerprint HASH      release only the plan \`plan\` printed with this fingerprint (or
                          ACCOUNT:HASH per account), with or without credentials; a
                          different plan releases nothing. Without it nothing new is
                          released, unless --unreviewed
  --unreviewed            release what the file says without a reviewed plan (explicit
                          opt-out: the output says so)
${q}
  -h, --help              show this help

Exit codes: 0 every message released, 1 invalid input, a refused message or a refused run,
2 usage error, 3 some messages ended partial, failed, unknown or pending, could not be checked
(an unreachable API, the lookup budget), or the run stopped early.
`,async run(t,e){let n=u(t,"releases","releases.yaml"),s=u(t,"ledger","releases.ledger"),V=R(t,"format",["text","json"],"text"),W=a(t,"batch-size",K,1,1e3),f=a(t,"concurrency",X,1,16),Z=a(t,"deadline-minutes",60,1,1440),o=a(t,"timeout-seconds",180,1,3600)*1e3,Q=a(t,"settle-seconds",12e4/1e3,0,3600)*1e3,c=t["dry-run"]===!0,ee=D(t),d=k(e),te={lookupBudget:N(t),guarded:P(t),maxReleases:a(t,"max-releases",m,1,1e6),force:t.force===!0},re=F(t),g=x(e,"apply",!0,v(t));if(g===i.invalid)return i.invalid;let l=Y(e.cwd,s);await L(l)||e.stderr(`quarantine-release apply: no ledger folder at ${p(s,300)} yet: ${c?"planned as if nothing was released (a dry run writes nothing)":"it is created with the first record this run writes"}.
`);let h=c?void 0:await U(e,"apply",l);if(h===i.invalid)return i.invalid;let ne=await C(e,l,s,d),y=new T(l,d,ne),w=await S(g,{connections:f+1,timeouts:{headersMs:o,bodyMs:o,requestMs:o},log:d});try{let r=await z({releases:()=>E(Y(e.cwd,n)),releasesPath:n,store:y,api:w,clock:_,log:d},{batchSize:W,concurrency:f,dryRun:c,pendingScope:"batch",inFlightMs:o,settleMs:Q,accounts:ee,provenance:J(e),safety:{...te,gate:de(re,t.unreviewed===!0)},...e.signal?{signal:e.signal}:{},deadline:Date.now()+Z*6e4});if(r.kind==="invalid")return e.stderr(A(r.errors)),r.stage==="ledger"&&e.stderr(`The ledger is corrupt, or was changed outside quarantine-release: nothing was sent. Repair it first.
`),i.invalid;if(e.stdout(V==="json"?G(r):B(r)),!r.dryRun&&!await oe(y,e,J(e).run))return i.incomplete;if(r.blocked!==void 0)return i.invalid;let b=I([...$(r).map(se=>se.refused.reason),...r.plan?O(r.plan):[]]);return b!==void 0?b:r.dryRun?i.ok:M(r)?i.ok:i.incomplete}finally{await w.close(),await h?.release()}}};async function oe(t,e,n){try{let s=await t.seal(`quarantine-release: ledger records [skip ci]

${n?`Run: ${n}
`:""}`);return s&&e.stderr(`Sealed the ledger in commit ${s.slice(0,12)}.
`),!0}catch(s){return e.stderr(`quarantine-release: the ledger records are written but could not be sealed in a commit (${p(s.message,500)}); run \`quarantine-release ledger seal\` once the cause is fixed
`),!1}}function de(t,e){return t.size>0?{expected:t,requirePlan:!0}:e?{requirePlan:!1}:{requirePlan:!0,closed:"no --fingerprint was given: pass the fingerprint `plan` printed for the plan you reviewed, or --unreviewed to release what the file says"}}function J(t){let e=t.env,n={},s=e.GITHUB_ACTOR??le();return s&&(n.actor=s),e.GITHUB_SHA&&/^[0-9a-f]{7,64}$/.test(e.GITHUB_SHA)&&(n.commit=e.GITHUB_SHA),e.GITHUB_RUN_ID&&e.GITHUB_REPOSITORY?n.run=`${e.GITHUB_SERVER_URL??"https://github.com"}/${e.GITHUB_REPOSITORY}/actions/runs/${e.GITHUB_RUN_ID}`:n.run=`cli@${ie()}`,n}function le(){try{return ae().username}catch{return}}export{K as a,X as b,Le as c,oe as d,J as e};

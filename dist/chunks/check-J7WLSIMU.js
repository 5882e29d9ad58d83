import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as z,b as X,c as B,d as J,e as W,g as Y}from"./chunk-YGW74ON5.js";import"./chunk-LAPF2GTW.js";import{d as M,e as H}from"./chunk-Q3TUW4AU.js";import"./chunk-CYYEPVIT.js";import"./chunk-JZ7S6YQK.js";import"./chunk-WU7VUWYX.js";import{a as N,d as j,e as $,h as q}from"./chunk-H3WEXOXR.js";import{b,c as D,e as P}from"./chunk-OG2C2PGC.js";import{a as U}from"./chunk-YNLNTV4W.js";import{a as R,c as I,d as T}from"./chunk-2S5M77H7.js";import{a as x}from"./chunk-45Y7IGMO.js";import"./chunk-ORRTYNVY.js";import"./chunk-A7OLCSLT.js";import{b as L}from"./chunk-STF3I3OV.js";import"./chunk-I754YZUD.js";import"./chunk-UHAACR3A.js";import"./chunk-YZJFWNPZ.js";import"./chunk-6YXNE7OO.js";import{i as l}from"./chunk-YIEWQOK2.js";import"./chunk-YT7T6RB5.js";import{a as o,d as y,f as O,g as _,h as k}from"./chunk-BMCYM6BZ.js";import{b as F}from"./chunk-MSZ4OCI2.js";import"./chunk-T4R53OPC.js";import"./chunk-6KRVZG7U.js";import"./chunk-7GNAQJNB.js";import"./chunk-54IBFPAE.js";import"./chunk-LIQU27LZ.js";import{resolve as w}from"node:path";import{lstat as Q}from"node:fs/promises";var p=class{constructor(e,t){this.path=e;this.shown=t}path;shown;async since(){let{mtime:e}=await Q(this.path);return{basis:"file",at:e.toISOString(),source:`the last change of ${this.shown} (its modification time): each entry has waited at least since then`}}};import{constants as h}from"node:fs";import{lstat as ee,mkdir as te,open as re,rename as oe,rm as se}from"node:fs/promises";import{dirname as ne,join as ae}from"node:path";var m=class{path;constructor(e){this.path=ae(e,z)}async read(){try{await ee(this.path)}catch(t){if(t.code==="ENOENT")return{kind:"missing"}}let e=await l(this.path,X);return e.ok?{kind:"text",text:e.text}:{kind:"unreadable",message:e.error.message}}async write(e){let t=await this.read(),n=B(t.kind==="text"?t.text:void 0,e,this.path);if(t.kind==="text"&&t.text===n)return;let d=ne(this.path);await te(d,{recursive:!0});let a=`${this.path}.${process.pid}.tmp`,u=await re(a,h.O_WRONLY|h.O_CREAT|h.O_TRUNC|h.O_NOFOLLOW,420);try{await I(u,n)}catch(f){throw await se(a,{force:!0}),f}await oe(a,this.path),await T(d)}};var $e={name:"check",summary:"drift check: released messages back in quarantine, and unresolved sends resolved",options:{releases:{type:"string"},ledger:{type:"string"},format:{type:"string"},account:{type:"string",multiple:!0},"lookup-budget":{type:"string"},"settle-seconds":{type:"string"},"unapplied-after-hours":{type:"string"},...j},help:`Usage: quarantine-release check [--releases FILE] [--ledger DIR] [--lookup-budget N] [--unapplied-after-hours N] [--format text|json]

For every message the ledger records as released, checks that it is not back in quarantine
(drift), searching by time window rather than one lookup per message; sends whose outcome is
not known (pending, unknown) are read back and their outcome recorded. Releases nothing; a
read-only API token is enough.

One budget covers every request: read-backs first (two each at most), then the drift
lookups. When it does not cover the whole ledger, the run stops where the budget does and
saves a cursor in DIR/check-cursor.ndjson (one line per account, see
schema/check-cursor.schema.json); the next run starts there and wraps round at the end, so
successive runs cover a ledger of any size. A missing or unreadable cursor file means
"from the beginning"; it never stops the check.

It also lists the entries of FILE that the ledger does not hold at all (merged, never
applied: their apply run was cancelled or failed), with how long they have waited: at least
since FILE last changed (its modification time). A search: entry counts as applied once a
ledger record carries its text (selector); one that released nothing stays listed. It fails
once one has waited --unapplied-after-hours or more. They cost no request.

Credentials: as for apply (CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL with CLOUDFLARE_API_KEY).

Options:
  --releases FILE       the requests file (default: releases.yaml)
  --ledger DIR          the ledger directory (default: releases.ledger)
  --lookup-budget N     at most N Cloudflare requests, read-backs and drift lookups together
                        (default: 300)
  --account ID          check only this account (repeatable)
  --settle-seconds N    how long Cloudflare may still act on a request after its sender
                        stopped waiting (default: ${12e4/1e3}); see apply --help
  --unapplied-after-hours N
                        fail when an entry not in the ledger has waited N hours or more,
                        0-${8760} (default: ${24}; 0: any such entry fails)
  --format FORMAT       text (default) or json
  --search-page-size N  results per search page asked for, 1-${1e3} (default:
                        ${100}); after a 400, half as many, down to 20
  -h, --help            show this help

Exit codes: 0 no drift and nothing unresolved, 1 drift found, an entry not applied for
--unapplied-after-hours or more, or invalid input (a missing ledger folder too), 2 usage error,
3 some sends still unresolved or some released messages not checked this run.
`,async run(s,e){let t=y(s,"releases","releases.yaml"),n=y(s,"ledger","releases.ledger"),d=_(s,"format",["text","json"],"text"),a=O(s),u=q(s),f=k(s,"settle-seconds",12e4/1e3,0,3600)*1e3,V=k(s,"unapplied-after-hours",24,0,8760),E=N(e,"check",!0,$(s));if(E===o.invalid)return o.invalid;let c=U(e),i=w(e.cwd,n);if(!await b(e,"check",i,n))return o.invalid;let S=await D(e,"check",i);if(S===o.invalid)return o.invalid;let v=new R(i,c,await P(e,i,n,c)),A=await x(E,{log:c}),C=H(e);try{let r=await Y({releases:()=>l(w(e.cwd,t)),releasesPath:t,store:v,api:A,clock:F,log:c,checkState:new m(i),entryTimes:new p(w(e.cwd,t),t)},{concurrency:2,pendingScope:"batch",inFlightMs:0,settleMs:f,accounts:a,provenance:C,lookupBudget:u,unappliedAfterHours:V,...e.signal?{signal:e.signal}:{}});return r.kind==="invalid"?(e.stderr(L(r.errors)),o.invalid):(e.stdout(d==="json"?`${JSON.stringify(W(r))}
`:J(r)),await M(v,e,C.run)?r.drift.length>0||r.unapplied.overdue>0?o.invalid:r.resolved.results.some(g=>(g.state==="pending"||g.state==="unknown")&&g.error!==void 0)||r.resolved.deferred.length>0||r.resolved.unverified.length>0||r.checked<r.released?o.incomplete:o.ok:o.incomplete)}finally{await A.close(),await S.release()}}};export{$e as checkCommand};

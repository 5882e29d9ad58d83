import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as H,b as z,c as X,d as B,e as J,g as W}from"./chunk-CXLWQCFE.js";import"./chunk-LAPF2GTW.js";import{d as q,e as M}from"./chunk-SAF6MQZQ.js";import"./chunk-UKCXTLCK.js";import"./chunk-6RCD67VU.js";import"./chunk-JZ7S6YQK.js";import"./chunk-ICUMFKX7.js";import{a as T,d as U,e as j,h as $}from"./chunk-JSOZONOW.js";import{b as N,c as b,e as D}from"./chunk-FKO4OMCQ.js";import{a as P}from"./chunk-YNLNTV4W.js";import{a as R,c as I}from"./chunk-YOB3KAOH.js";import{a as x}from"./chunk-YKJ42EWV.js";import"./chunk-KMTOM55G.js";import{b as L}from"./chunk-ABFVC7JJ.js";import"./chunk-NG7H36JX.js";import"./chunk-UJAYHDXK.js";import"./chunk-5ZHEZIVF.js";import"./chunk-JK4X6MYU.js";import{i as p}from"./chunk-7VGXYAKM.js";import"./chunk-YT7T6RB5.js";import{a as o,d as y,f as O,g as _,h as k}from"./chunk-BMCYM6BZ.js";import{b as F}from"./chunk-GRLPJF4I.js";import"./chunk-T4R53OPC.js";import"./chunk-ZUO7M3ZK.js";import"./chunk-PBX3UOBU.js";import"./chunk-54IBFPAE.js";import"./chunk-LIQU27LZ.js";import{resolve as w}from"node:path";import{lstat as V}from"node:fs/promises";var h=class{constructor(e,t){this.path=e;this.shown=t}path;shown;async since(){let{mtime:e}=await V(this.path);return{basis:"file",at:e.toISOString(),source:`the last change of ${this.shown} (its modification time): each entry has waited at least since then`}}};import{constants as m}from"node:fs";import{lstat as Q,mkdir as ee,open as te,rename as re,rm as oe}from"node:fs/promises";import{dirname as se,join as ne}from"node:path";var u=class{path;constructor(e){this.path=ne(e,H)}async read(){try{await Q(this.path)}catch(t){if(t.code==="ENOENT")return{kind:"missing"}}let e=await p(this.path,z);return e.ok?{kind:"text",text:e.text}:{kind:"unreadable",message:e.error.message}}async write(e){let t=await this.read(),n=X(t.kind==="text"?t.text:void 0,e,this.path);if(t.kind==="text"&&t.text===n)return;let d=se(this.path);await ee(d,{recursive:!0});let i=`${this.path}.${process.pid}.tmp`,a=await te(i,m.O_WRONLY|m.O_CREAT|m.O_TRUNC|m.O_NOFOLLOW,420);try{await a.writeFile(n),await a.datasync()}catch(f){throw await a.close(),await oe(i,{force:!0}),f}await a.close(),await re(i,this.path),await I(d)}};var je={name:"check",summary:"drift check: released messages back in quarantine, and unresolved sends resolved",options:{releases:{type:"string"},ledger:{type:"string"},format:{type:"string"},account:{type:"string",multiple:!0},"lookup-budget":{type:"string"},"settle-seconds":{type:"string"},"unapplied-after-hours":{type:"string"},...U},help:`Usage: quarantine-release check [--releases FILE] [--ledger DIR] [--lookup-budget N] [--unapplied-after-hours N] [--format text|json]

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
`,async run(s,e){let t=y(s,"releases","releases.yaml"),n=y(s,"ledger","releases.ledger"),d=_(s,"format",["text","json"],"text"),i=O(s),a=$(s),f=k(s,"settle-seconds",12e4/1e3,0,3600)*1e3,Z=k(s,"unapplied-after-hours",24,0,8760),E=T(e,"check",!0,j(s));if(E===o.invalid)return o.invalid;let l=P(e),c=w(e.cwd,n);if(!await N(e,"check",c,n))return o.invalid;let S=await b(e,"check",c);if(S===o.invalid)return o.invalid;let v=new R(c,l,await D(e,c,n,l)),A=await x(E,{log:l}),C=M(e);try{let r=await W({releases:()=>p(w(e.cwd,t)),releasesPath:t,store:v,api:A,clock:F,log:l,checkState:new u(c),entryTimes:new h(w(e.cwd,t),t)},{concurrency:2,pendingScope:"batch",inFlightMs:0,settleMs:f,accounts:i,provenance:C,lookupBudget:a,unappliedAfterHours:Z,...e.signal?{signal:e.signal}:{}});return r.kind==="invalid"?(e.stderr(L(r.errors)),o.invalid):(e.stdout(d==="json"?`${JSON.stringify(J(r))}
`:B(r)),await q(v,e,C.run)?r.drift.length>0||r.unapplied.overdue>0?o.invalid:r.resolved.results.some(g=>(g.state==="pending"||g.state==="unknown")&&g.error!==void 0)||r.resolved.deferred.length>0||r.resolved.unverified.length>0||r.checked<r.released?o.incomplete:o.ok:o.incomplete)}finally{await A.close(),await S.release()}}};export{je as checkCommand};

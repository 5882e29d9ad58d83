import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{b as p,d as g,e as u}from"./chunk-OG2C2PGC.js";import{a as w}from"./chunk-YNLNTV4W.js";import"./chunk-2S5M77H7.js";import{j as E}from"./chunk-A7OLCSLT.js";import{b as y}from"./chunk-STF3I3OV.js";import"./chunk-6YXNE7OO.js";import{d as D,j as k}from"./chunk-YIEWQOK2.js";import{c as f}from"./chunk-YT7T6RB5.js";import{a as o,d as c,g as $,h as b}from"./chunk-BMCYM6BZ.js";import"./chunk-7GNAQJNB.js";import{f as x}from"./chunk-54IBFPAE.js";import"./chunk-LIQU27LZ.js";import{resolve as A}from"node:path";async function R(n,e){let t=[],i=await k(n,r=>t.push({...r,path:`${e}/${r.name}`})),d=[];for(let r of t){let m=D(r,({account_id:s,id:h,seq:a},l)=>d.push({account_id:s,id:h,seq:a,file:r.path,line:l}));for(let s of m)i.push(s)}for(let r of E(d))i.push(r);return{shards:t,errors:i,records:d.length}}var q={name:"ledger verify",summary:"check the whole ledger and, with a ledger key in a git clone, its whole history",options:{ledger:{type:"string"},"max-commits":{type:"string"},format:{type:"string"}},help:`Usage: quarantine-release ledger verify [--ledger DIR] [--max-commits N] [--format text|json]

Checks every line of the ledger: the record format, and each message's history (no record
missing between two of its seq numbers, no seq twice). With ${g} set and the
ledger in a git clone, also its history: every commit on HEAD's first-parent line that changed
the ledger must carry a valid seal (made with the key) of exactly the ledger it left, each
sealed ledger must keep every line of the one before, and the working tree may only add lines
after HEAD. Reports every bad line, the first one first.

Options:
  --ledger DIR        the ledger directory (default: releases.ledger)
  --max-commits N     commits of history to check, newest first (default: 10000)
  --format FORMAT     text (default) or json: {"verified", "errors": [{file, line, column, message}], ...}
  -h, --help          show this help

Exit codes: 0 verified, 1 a bad line or a missing ledger folder, 2 usage error.
`,async run(n,e){let t=c(n,"ledger","releases.ledger"),i=$(n,"format",["text","json"],"text"),d=b(n,"max-commits",1e4,1,1e6),r=A(e.cwd,t);if(!await p(e,"ledger verify",r,t))return o.invalid;let m=w(e),s=await R(r,t),h=await u(e,r,t,m),a=h?await h.verifyHistory(s.shards,d):void 0,l=f([...s.errors,...a?.errors??[]]),C={verified:l.length===0,records:s.records,shards:s.shards.length,history:a?{commits:a.commits,sealed:a.sealed,last_seal:a.last??null}:null};if(i==="json")return e.stdout(`${JSON.stringify({...C,errors:l})}
`),l.length===0?o.ok:o.invalid;if(l.length>0){e.stderr(y(l));let v=l[0];return e.stderr(`ledger verify: ${l.length} problem(s); the first at ${x(`${v.file}:${v.line}`,300)}
`),o.invalid}let _=a?`; history: ${a.commits} commit(s) checked, ${a.sealed} sealed by quarantine-release${a.last?`, the last ${a.last.slice(0,12)}`:""}`:`; history not checked (set ${g} and run in a git clone of the repository)`;return e.stdout(`ledger verified: ${s.records} record(s) in ${s.shards.length} shard(s)${_}
`),o.ok}},T={name:"ledger seal",summary:"seal the ledger as it is in a commit of its own (adopt or repair, by hand)",options:{ledger:{type:"string"},message:{type:"string"}},help:`Usage: quarantine-release ledger seal [--ledger DIR] [--message TEXT]

Seals the ledger as it is now in a commit of its own, on top of HEAD (the ledger directory
alone; other changes are left as they are). Needs ${g} and a git clone.
apply and check seal what they write themselves: this is the explicit act for the other
cases, like \`terraform state\`: adopting a ledger written before seals, or sealing a repair
(restoring lines someone removed) once it has been reviewed. The ledger must read cleanly
(the format, and each message's history); nothing is committed when HEAD already has it.

Options:
  --ledger DIR        the ledger directory (default: releases.ledger)
  --message TEXT      the commit's first line (default: quarantine-release: ledger sealed by hand)
  -h, --help          show this help

Exit codes: 0 sealed (or nothing to seal), 1 no key, not a git clone, or the ledger does not
read cleanly, 2 usage error.
`,async run(n,e){let t=c(n,"ledger","releases.ledger"),i=A(e.cwd,t);if(!await p(e,"ledger seal",i,t))return o.invalid;let d=w(e),r=await u(e,i,t,d);if(!r)return e.stderr(`quarantine-release ledger seal: needs ${g} and the ledger in a git clone
`),o.invalid;let m=await R(i,t);if(m.errors.length>0)return e.stderr(y(f(m.errors))),e.stderr(`ledger seal: the ledger does not read cleanly: nothing was sealed
`),o.invalid;let s=c(n,"message","quarantine-release: ledger sealed by hand"),h=await r.seal(m.shards,`${s.split(`
`)[0]} [skip ci]
`);return e.stdout(h?`Sealed the ledger in commit ${h.slice(0,12)}.
`:`Nothing to seal: HEAD already holds the ledger as it is.
`),o.ok}},G={name:"ledger",summary:"the ledger itself: verify its lines and history, or seal it by hand",options:{},subcommands:[q,T],help:`Usage: quarantine-release ledger <verify|seal> [options]

  verify   ${q.summary}
  seal     ${T.summary}

Run \`quarantine-release ledger <verify|seal> --help\` for their options.
`,async run(n,e){return e.stderr(this.help),o.usage}};export{G as ledgerCommand};

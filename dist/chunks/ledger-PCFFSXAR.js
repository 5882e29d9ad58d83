import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as p,b as u,c,d as w,e as v}from"./chunk-GL2FT2FA.js";import{j as T}from"./chunk-2WYYZMOS.js";import{b as y}from"./chunk-BOVV2QJT.js";import{j as f}from"./chunk-NA5I447T.js";import{d as E,j as q}from"./chunk-YH4IPXTA.js";import{f as D}from"./chunk-EDEIBJEP.js";import{a as i,d as g,e as x,f as b}from"./chunk-7Q22RLLD.js";import"./chunk-PBX3UOBU.js";import"./chunk-F6MHY6Q7.js";import{b as k}from"./chunk-DQQKFFV5.js";import"./chunk-LIQU27LZ.js";import{resolve as R}from"node:path";async function A(o,e){let t=[],n=await q(o,r=>t.push({...r,path:`${e}/${r.name}`})),h=[],l=0;for(let r of t){let s=E(r.name,r.path);if(s){n.push(s);continue}n.push(...D(r.text,r.path,(d,a,m)=>{l++,h.push({account_id:d.account_id,id:d.id,seq:d.seq,file:r.path,line:m})}))}return n.push(...T(h)),{shards:t,errors:n,records:l}}var _={name:"ledger verify",summary:"check the whole ledger and, with a ledger key in a git clone, its whole history",options:{ledger:{type:"string"},"max-commits":{type:"string"},format:{type:"string"}},help:`Usage: quarantine-release ledger verify [--ledger DIR] [--max-commits N] [--format text|json]

Checks every line of the ledger: the record format, and each message's history (no record
missing between two of its seq numbers, no seq twice). With ${c} set and the
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
`,async run(o,e){let t=g(o,"ledger","releases.ledger"),n=x(o,"format",["text","json"],"text"),h=b(o,"max-commits",1e4,1,1e6),l=R(e.cwd,t);if(!await p(l))return e.stderr(u("ledger verify",t)),i.invalid;let r=v(e),s=await A(l,t),d=await w(e,l,t,r),a=d?await d.verifyHistory(s.shards,h):void 0,m=f([...s.errors,...a?.errors??[]]),O={verified:m.length===0,records:s.records,shards:s.shards.length,history:a?{commits:a.commits,sealed:a.sealed,last_seal:a.last??null}:null};if(n==="json")return e.stdout(`${JSON.stringify({...O,errors:m})}
`),m.length===0?i.ok:i.invalid;if(m.length>0){e.stderr(y(m));let $=m[0];return e.stderr(`ledger verify: ${m.length} problem(s); the first at ${k(`${$.file}:${$.line}`,300)}
`),i.invalid}let I=a?`; history: ${a.commits} commit(s) checked, ${a.sealed} sealed by quarantine-release${a.last?`, the last ${a.last.slice(0,12)}`:""}`:`; history not checked (set ${c} and run in a git clone of the repository)`;return e.stdout(`ledger verified: ${s.records} record(s) in ${s.shards.length} shard(s)${I}
`),i.ok}},C={name:"ledger seal",summary:"seal the ledger as it is in a commit of its own (adopt or repair, by hand)",options:{ledger:{type:"string"},message:{type:"string"}},help:`Usage: quarantine-release ledger seal [--ledger DIR] [--message TEXT]

Seals the ledger as it is now in a commit of its own, on top of HEAD (the ledger directory
alone; other changes are left as they are). Needs ${c} and a git clone.
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
`,async run(o,e){let t=g(o,"ledger","releases.ledger"),n=R(e.cwd,t);if(!await p(n))return e.stderr(u("ledger seal",t)),i.invalid;let h=v(e),l=await w(e,n,t,h);if(!l)return e.stderr(`quarantine-release ledger seal: needs ${c} and the ledger in a git clone
`),i.invalid;let r=await A(n,t);if(r.errors.length>0)return e.stderr(y(f(r.errors))),e.stderr(`ledger seal: the ledger does not read cleanly: nothing was sealed
`),i.invalid;let s=g(o,"message","quarantine-release: ledger sealed by hand"),d=await l.seal(r.shards,`${s.split(`
`)[0]} [skip ci]
`);return e.stdout(d?`Sealed the ledger in commit ${d.slice(0,12)}.
`:`Nothing to seal: HEAD already holds the ledger as it is.
`),i.ok}},J={name:"ledger",summary:"the ledger itself: verify its lines and history, or seal it by hand",options:{},subcommands:[_,C],help:`Usage: quarantine-release ledger <verify|seal> [options]

  verify   ${_.summary}
  seal     ${C.summary}

Run \`quarantine-release ledger <verify|seal> --help\` for their options.
`,async run(o,e){return e.stderr(this.help),i.usage}};export{J as ledgerCommand};

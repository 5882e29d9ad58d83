import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as B}from"./chunk-DCA6FU7R.js";import{a as S,b as h,c as R,d as C,e as F,f as v,g as P}from"./chunk-YGW74ON5.js";import{a as q}from"./chunk-YZZ45U2Y.js";import{a as M,b as j,c as E,e as L}from"./chunk-NUALB66C.js";import"./chunk-O6F5ANL3.js";import{b as A}from"./chunk-7CQZPLXG.js";import"./chunk-LAPF2GTW.js";import"./chunk-FZ4EBNIE.js";import"./chunk-COW5GPTI.js";import{a as w}from"./chunk-5IDPCZFY.js";import"./chunk-S2CX2YBF.js";import{d as $}from"./chunk-P34CKBFM.js";import"./chunk-CYYEPVIT.js";import"./chunk-JZ7S6YQK.js";import"./chunk-WU7VUWYX.js";import{a as b}from"./chunk-45Y7IGMO.js";import"./chunk-ORRTYNVY.js";import"./chunk-A7OLCSLT.js";import"./chunk-I754YZUD.js";import"./chunk-UHAACR3A.js";import"./chunk-YZJFWNPZ.js";import"./chunk-6YXNE7OO.js";import"./chunk-YIEWQOK2.js";import"./chunk-YT7T6RB5.js";import{b as k}from"./chunk-MSZ4OCI2.js";import"./chunk-T4R53OPC.js";import"./chunk-6KRVZG7U.js";import"./chunk-7GNAQJNB.js";import{f as y}from"./chunk-54IBFPAE.js";import"./chunk-LIQU27LZ.js";var G=`query QuarantineReleaseBlame($owner: String!, $name: String!, $oid: GitObjectID!, $path: String!) {
  repository(owner: $owner, name: $name) {
    object(oid: $oid) {
      ... on Commit {
        blame(path: $path) {
          ranges {
            startingLine
            endingLine
            commit {
              oid
              committedDate
              associatedPullRequests(first: 5) { nodes { merged mergedAt baseRefName } }
            }
          }
        }
      }
    }
  }
}`,f=class{constructor(o,a,t){this.gh=o;this.repo=a;this.options=t}gh;repo;options;async since(o){let{path:a,branch:t}=this.options,i=this.options.commit();if(i===void 0)throw new Error(`the commit ${a} was read at is not known`);let m=(await this.gh.graphql(G,{owner:this.repo.owner,name:this.repo.repo,oid:i,path:a})).repository?.object?.blame?.ranges;if(!m)throw new Error(`GitHub gave no blame of ${a} at ${i.slice(0,7)}`);let p=new Set(o),u=new Map;for(let l of m){let{commit:d}=l,s={at:d.associatedPullRequests?.nodes.find(n=>n.merged&&n.mergedAt&&n.baseRefName===t)?.mergedAt??d.committedDate,commit:d.oid};for(let n=l.startingLine;n<=l.endingLine;n++)p.has(n)&&u.set(n,s)}return{basis:"line",source:`the commit that last changed each entry's line (GitHub's blame of ${a} at ${i.slice(0,7)}): when its pull request was merged into ${t}, or its date when it was pushed directly`,at:u}}};var g=class{constructor(o,a,t){this.store=o;this.path=a;this.commitMessage=t}store;path;commitMessage;async read(){let o=await this.store.readFile(this.path);return o.kind==="link"?{kind:"unreadable",message:"is a symbolic link: ignored, it must be a plain file"}:o.kind==="text"&&o.text.length>h?{kind:"unreadable",message:`larger than ${h} bytes`}:o}async write(o){await this.store.updateFile(this.path,a=>R(a!==void 0&&a.length<=h?a:void 0,o,this.path),this.commitMessage)}};async function re(e,o,a){let{toolkit:t}=o,i=j(t),c=A(e.runner),m=o.github(),p=M(e),u=`${e.ledgerPath}/${S}`,l=new q(m,{...p,branch:a,ledgerDir:e.ledgerPath,releasesPath:e.releasesFile,extraFiles:[u],workspace:e.runner.workspace,key:e.ledgerKey,log:i,commitMessage:(r,s)=>`quarantine-release: drift check resolved ${new Set(s.map(n=>`${n.account_id}/${n.id}`)).size} message(s) [skip ci]

${c?`Run: ${c}
`:""}`}),d=await b(e.cloudflare);try{let r=await P({releases:()=>l.readReleases(),releasesPath:e.releasesFile,store:l,api:d,clock:k,log:i,runs:new B(m,p,e.runner.serverUrl),entryTimes:new f(m,p,{path:e.releasesFile,branch:a,commit:()=>l.headSha}),checkState:new g(l,u,`quarantine-release: drift check cursor [skip ci]

${c?`Run: ${c}
`:""}`)},{concurrency:e.concurrency,pendingScope:"run",inFlightMs:w.requestMs,settleMs:e.settleMs,accounts:e.accounts,provenance:{...e.runner.actor?{actor:e.runner.actor}:{},...c?{run:c}:{}},lookupBudget:e.safety.lookupBudget,unappliedAfterHours:e.unappliedAfterHours});if(i.endPhase(),r.kind==="invalid"){E(t,r.errors),await t.summary($(r.errors,"quarantine-release drift check: cannot run",200)),t.setFailed(`${r.errors.length} problem(s) in ${r.stage==="ledger"?"the ledger":e.releasesFile}`);return}t.info(C(r)),await t.summary(v(r)),await L(e,t,F(r)),t.setOutput("drift",r.drift.length),t.setOutput("checked",r.checked),t.setOutput("unapplied",r.unapplied.entries.length);let s=[];r.drift.length>0?s.push(`${r.drift.length} message(s) recorded as released are back in quarantine`):r.released>0&&r.checked===0&&s.push(`none of the ${r.released} released message(s) could be checked${r.stopped?` (${y(r.stopped,200)})`:""} (see the warnings)`);let{overdue:n,afterHours:H,basis:D}=r.unapplied;n>0&&s.push(`${n} entr${n===1?"y":"ies"} of ${y(e.releasesFile,200)} merged but never applied (not in the ledger at all) ${n===1?"has":"have"} waited ${D==="unknown"?"for a time that cannot be told":`${H} h or more`}: re-run the apply run of their merge`),s.length>0&&t.setFailed(`${s.join("; ")}; see the job summary`)}finally{i.endPhase(),await d.close()}}export{re as checkBranch};

import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as O}from"./chunk-R7X7OG3R.js";import{a as g,b as w,d as y}from"./chunk-BMCYM6BZ.js";import{b as f,f as x}from"./chunk-54IBFPAE.js";import"./chunk-LIQU27LZ.js";import{lstat as q,mkdir as V,readFile as Q,writeFile as v}from"node:fs/promises";import{dirname as X,join as D,resolve as ee}from"node:path";var W="https://raw.githubusercontent.com/quarantine-release/quarantine-release/v1/schema/releases.schema.json",S="quarantine-release/quarantine-release",F="actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",M="actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0",p={apply:"email-release",check:"email-release-check"},c={token:"CLOUDFLARE_API_TOKEN",ledgerKey:"QUARANTINE_RELEASE_LEDGER_KEY"},h="releases.yaml",d="releases.ledger",P=".github/workflows";function R(e){if(!/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}@[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/.test(e))return"must be OWNER/NAME@REF: the repository of the action and a tag or a commit SHA (e.g. quarantine-release/quarantine-release@v1.2.3)"}function A(e){if(!(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/.test(e)&&!e.includes("..")))return"must be a branch name (letters, digits, and . _ / -)"}function U(e){return/@[0-9a-f]{40}$/.test(e)}function T(e){return[{path:h,kind:"file",text:H(e),what:"the requests file"},{path:".gitattributes",kind:"lines",text:G,what:"the ledger merges by line"},{path:`${d}/README.md`,kind:"file",text:z,what:"the ledger folder (git keeps no empty folder)"},...K(e).map(t=>({...t,kind:"file"}))]}function K(e){let t=o=>`${P}/quarantine-release-${o}.yml`;return[{path:t("plan"),text:Z(e),what:"plan on every pull request"},{path:t("apply"),text:J(e),what:`apply on a push to ${e.branch}`},{path:t("check"),text:Y(e),what:"the daily drift check"},{path:t("audit"),text:B(e),what:"the monthly audit report"}]}function H(e){let t=e.account!==void 0&&f(e.account)?`account_id: ${e.account}`:"# account_id: 0123456789abcdef0123456789abcdef   # set it (or give each entry its own)";return`# yaml-language-server: $schema=${W}
#
# Requests to release messages from Cloudflare Email Security quarantine. Add entries in a
# pull request: the plan is posted on it, and the messages are released when it is merged,
# at most once. The ledger (${d}/) records what happened; only the tool writes it.
#
#   releases:
#     - id: 4Njp3P0STMz2c02Q-2024-01-05T10:00:00-12345678   # the investigate id
#       reason: Vendor invoice from a known supplier, false positive
#       ticket: SEC-1234                                   # optional
#       requested_by: alice@example.com                    # optional
version: 1

# The Cloudflare account (32 lowercase hex characters).
${t}

releases: []
`}var G=`# quarantine-release: the ledger is append-only JSON Lines, so two branches that both
# appended to it merge by keeping every line of both sides, which is always correct for it.
${d}/*.jsonl merge=union
${d}/check-cursor.ndjson merge=union
`,z=`# The ledger of quarantine-release

One JSON Lines file per UTC month (\`2026-11.jsonl\`): every release request and its outcome.
Only quarantine-release writes it (apply and the drift check, on the default branch), and it
seals each of its commits with the ledger key. Never edit, add or remove a ledger file by
hand or in a pull request: the plan of such a pull request fails, and apply and the check
refuse a ledger that anyone else changed. This file only keeps the folder in git until the
first release.
`,b=`      - uses: ${F}
        with:
          persist-credentials: false`;function Z(e){return`# Plan on every pull request: validates ${h} (each problem annotated on its
# line), holds the ledger to the base branch's (a pull request may not change it), and posts
# one comment per Cloudflare account with what the merge would release. Needs no secret.
# On a pull request from a fork the token is read-only: the plan goes to the job summary.
#
# Make this job ("plan") a required status check of ${e.branch}. It runs on every pull request,
# not only on those that touch ${h}: a required check that a \`paths\` filter skips
# never reports, and would block the merge of every other pull request. A pull request that
# asks for nothing gets no comment.
name: quarantine-release plan

on:
  pull_request:

# Nothing by default; the job asks for what it needs.
permissions: {}

# A newer push to the pull request supersedes the plan in progress: only the latest plan is
# posted, never an older one after it.
concurrency:
  group: quarantine-release-plan-\${{ github.event.pull_request.number }}
  cancel-in-progress: true

jobs:
  plan:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      contents: read        # the checkout
      pull-requests: write  # the plan comment
    steps:
${b}
      - uses: ${e.action}
        with:
          mode: plan
`}function J(e){return`# Release on merge: when ${h} changes on ${e.branch}, release the entries the
# merged pull request's plan reviewed and approved, that the ledger does not show as released:
# at most once, with the ledger committed back before the release request ("pending") and
# after it (the outcomes). The results go to the pull request's comment and the job summary.
#
# The job runs in the protected environment ${p.apply} (required reviewers,
# deployment branch ${e.branch} only), which holds its two secrets: ${c.token} (Cloud
# Email Security: Write) and ${c.ledgerKey}. Environment secrets, never repository
# secrets: workflows of pull requests from this repository's branches can read those.
name: quarantine-release apply

on:
  push:
    branches: [${e.branch}]
    paths:
      - ${h}
  # By hand: finishes what an interrupted run left unresolved. It releases nothing new, since
  # no pull request reviewed it: to release what a cancelled or failed run left, re-run that
  # run ("Re-run jobs").
  workflow_dispatch:

permissions: {}

# Each commit's run in a group of its own. GitHub cancels a run waiting in a group when
# another one joins it, so with one group for every apply a merged release could be left
# unapplied. Runs of different merges may go at once: the ledger commits are compare-and-swap,
# so no message is released twice and no record is lost; the drift check reports any merged
# entry that no run released.
concurrency:
  group: quarantine-release-apply-\${{ github.sha }}
  cancel-in-progress: false

jobs:
  apply:
    runs-on: ubuntu-latest
    timeout-minutes: 60
    environment: ${p.apply}
    permissions:
      contents: write       # the ledger commits
      pull-requests: write  # the results comment
      actions: read         # whether another run's in-flight releases are still going
    steps:
${b}
      - uses: ${e.action}
        with:
          api-token: \${{ secrets.${c.token} }}
          ledger-key: \${{ secrets.${c.ledgerKey} }}
`}function Y(e){return`# The drift check, every morning (and by hand). It releases nothing, and fails when:
# - a message the ledger records as released is back in quarantine (drift);
# - an entry of ${h} that the ledger does not hold at all (merged, never applied:
#   its apply run was cancelled or failed) has waited \`unapplied-after-hours\` since its merge.
# It also reads back sends whose outcome is unknown (a run cut short) and commits what it
# learns, sealed with the ledger key like apply's commits.
#
# The job runs in the environment ${p.check} (deployment branch ${e.branch} only; no
# required reviewers, as it runs on a schedule), which holds ${c.token} (Cloud Email
# Security: Read is enough) and ${c.ledgerKey} (the same key as ${p.apply}'s).
#
# \`lookup-budget\` caps the Cloudflare requests of a run (the API allows 1,200 per 5 minutes,
# the dashboard included). When it does not cover the whole ledger, the run commits where it
# stopped (${d}/check-cursor.ndjson) and the next run goes on from there.
name: quarantine-release check

on:
  schedule:
    - cron: '17 6 * * *'
  workflow_dispatch:

permissions: {}

# Its own group, apart from apply's. It may run beside an apply: it leaves the records of a run
# that is still going alone, and its commits are compare-and-swap too.
concurrency:
  group: quarantine-release-check
  cancel-in-progress: false

jobs:
  check:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    environment: ${p.check}
    permissions:
      contents: write       # commits the outcomes it resolves, and its cursor
      actions: read         # whether an apply run's in-flight releases are still going
    steps:
${b}
      - uses: ${e.action}
        with:
          mode: check
          api-token: \${{ secrets.${c.token} }}
          ledger-key: \${{ secrets.${c.ledgerKey} }}
          lookup-budget: 300
          unapplied-after-hours: 24
`}function B(e){return`# The audit report, on the first of each month: every release attempt of the previous
# calendar month (UTC), read from the ledger in the checkout: who asked, why, who approved,
# what happened. The summary is in the job summary; every attempt is in the results file,
# kept as an artifact. Reads files only: no secret, read-only contents, nothing committed.
name: quarantine-release audit

on:
  schedule:
    - cron: '23 5 1 * *'
  workflow_dispatch:

permissions: {}

jobs:
  audit:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    permissions:
      contents: read
    steps:
${b}
      - id: audit
        uses: ${e.action}
        with:
          mode: audit
          audit-period: previous-month   # or e.g. 30d: the 30 whole days before today
      - uses: ${M}
        with:
          name: quarantine-release-audit
          path: \${{ steps.audit.outputs.results-file }}
          retention-days: 400
`}function I(e){let{apply:t,check:o}=p;return`Repository settings to make on GitHub (init cannot make them):

  1. Protect ${e.branch} with a ruleset (Settings > Rules > Rulesets), targeting it:
     - require a pull request before merging, with at least 1 approval;
     - dismiss stale pull request approvals when new commits are pushed;
     - require approval of the most recent reviewable push;
     - require review from Code Owners;
     - require the status check "plan" (quarantine-release-plan.yml) to pass;
     - block force pushes and deletions; let nobody bypass these rules but the ledger commits.
  2. The ledger commits. Apply and the check commit the ledger straight to ${e.branch} with the
     job's token (github-actions[bot]), never through a pull request, so a rule that requires
     pull requests refuses them: the run then fails and releases nothing. Let that token
     bypass the pull-request rule (a ruleset's bypass list: GitHub Actions, where GitHub offers
     it). That lets other workflows with contents: write push to ${e.branch} too: a push that
     no approved pull request brought never releases anything new (apply checks), and the
     environment reviewers below stand between a changed workflow and the secrets.
  3. CODEOWNERS (.github/CODEOWNERS), so the people who review releases approve every change
     to the requests, the ledger folder and the workflows:
       /${h}    @your-org/email-security
       /${d}/  @your-org/email-security
       /.github/         @your-org/email-security
  4. Two environments (Settings > Environments), each with deployment branches "${e.branch}" only:
     - ${t} (apply): required reviewers (the people who approve releases; tick
       "Prevent self-review");
     - ${o} (the scheduled drift check): no required reviewers.
  5. Their secrets, as environment secrets, never repository secrets (workflows of pull
     requests from this repository's branches can read repository secrets):
     - ${c.token}: a Cloudflare API token scoped to the account, with Cloud Email
       Security: Write in ${t}, and Read only in ${o};
     - ${c.ledgerKey}: the same value in both, generated once with
         openssl rand -hex 32
       It seals every ledger commit the tool makes; apply and the check refuse a ledger whose
       seals they cannot verify, so keep it (a lost key stops every release).
  6. Settings > Actions > General: workflow permissions "Read repository contents" (each job
     asks for what it needs), and require approval for workflows from fork pull requests.
`}function C(e){let t=[...e.account===void 0?[`Set account_id in ${h}.`]:[],"Make the settings above (the environments and their secrets before the first merge).","Commit these files on a branch and open a pull request: the plan runs on it.","Merge it. Then ask for a release: a pull request that adds an entry to releases.yaml."],o=e.action.replace(/@.*$/,""),a=U(e.action)?`The workflows use the action at a commit:
  ${e.action}`:`The workflows use the action at a tag:
  ${e.action}
A tag can be moved, a commit cannot. To pin the commit, run init again with
  --force --action ${o}@<commit SHA>`;return`Next steps:

${t.map((n,s)=>`  ${s+1}. ${n}`).join(`
`)}

${a}

\`quarantine-release validate\` checks ${h} before you push.
`}function N(e,t){let o=new Set(e.split(/\r?\n/).map(r=>r.trim())),a=t.split(`
`),n=a.filter(r=>r.trim()!==""&&!r.startsWith("#")&&!o.has(r.trim()));if(n.length===0)return;let s=a.filter(r=>r.startsWith("#")),i=e===""?"":e.endsWith(`
`)?`
`:`

`;return{text:`${e}${i}${[...s,...n].join(`
`)}
`,added:n.length}}function _(e,t,o){let a=Math.max(...t.map(l=>l.path.length)),n=t.map(l=>`  ${l.result.padEnd(9)} ${l.path.padEnd(a)}  ${l.what}${l.detail?`: ${l.detail}`:""}`),s=t.filter(l=>l.result==="skipped").length,i=t.filter(l=>l.result==="failed").length,r=`quarantine-release init: ${e}${o?"":" (no .git here: is it the root folder of the repository?)"}`,u=[...s>0?[`${s} file(s) exist and were left as they are: compare them with what init writes (--force replaces them).`]:[],...i>0?[`${i} file(s) could not be written: see above.`]:[]];return`${[r,"",...n,...u.length>0?["",...u]:[]].join(`
`)}
`}var j=`${S}@v${O}`,ue={name:"init",summary:"set up a repository: releases.yaml, .gitattributes, the workflows, the ledger folder, and the settings to make",options:{dir:{type:"string"},account:{type:"string"},action:{type:"string"},branch:{type:"string"},force:{type:"boolean"}},help:`Usage: quarantine-release init [--dir DIR] [--account ID] [--action OWNER/NAME@REF] [--branch NAME] [--force]

Sets up a repository for quarantine-release, in its root folder:
  releases.yaml                      the requests file, empty, with the schema modeline
  .gitattributes                     the ledger's merge=union lines (appended when missing)
  releases.ledger/README.md          the ledger folder (read as an empty ledger)
  .github/workflows/quarantine-release-plan.yml    plan on every pull request
  .github/workflows/quarantine-release-apply.yml   apply on a push to the default branch
  .github/workflows/quarantine-release-check.yml   the daily drift check
  .github/workflows/quarantine-release-audit.yml   the monthly audit report
Each job gets only the permissions it needs; apply and the check run in protected
environments that hold their secrets; actions are pinned. A file that exists is left as it
is (and reported) unless --force; .gitattributes only ever gets the missing lines appended.
Then it prints the repository settings it cannot make (branch rules, reviews, CODEOWNERS,
the environments and their secrets) and the next steps.

Options:
  --dir DIR              the repository's root folder (default: the current folder)
  --account ID           the Cloudflare account of releases.yaml (32 lowercase hex characters);
                         without it, releases.yaml says where to set it
  --action OWNER/NAME@REF
                         the action as the workflows use it (default: ${j},
                         this version's tag); a commit SHA pins it for good
  --branch NAME          the default branch, where apply runs (default: main)
  --force                replace files that exist
  -h, --help             show this help

Exit codes: 0 set up (files that exist skipped, as reported), 1 a file could not be written or
DIR is not a folder, 2 usage error.
`,async run(e,t){let o=y(e,"dir","."),a=y(e,"action",j),n=y(e,"branch","main"),s=e.account,i=R(a);if(i)throw new w(`--action ${i}`);let r=A(n);if(r)throw new w(`--branch ${r}`);if(s!==void 0&&!f(s))throw new w("--account must be 32 lowercase hexadecimal characters");let u={action:a,branch:n,...typeof s=="string"?{account:s}:{}},l=ee(t.cwd,o),k=x(o,300),E=await q(l).then(m=>m.isDirectory()?"folder":"other",()=>"missing");if(E!=="folder")return t.stderr(`quarantine-release init: ${E==="missing"?`no folder at ${k}`:`${k} is not a folder`} (--dir): give the root folder of the repository.
`),g.invalid;let $=[];for(let m of T(u))$.push(await te(l,m,e.force===!0));let L=await q(D(l,".git")).then(()=>!0,()=>!1);return t.stdout([_(k,$,L),I(u),C(u)].join(`
`)),$.some(m=>m.result==="failed")?g.invalid:g.ok}};async function te(e,t,o){let a=D(e,t.path),n=(s,i)=>({path:t.path,what:t.what,result:s,...i?{detail:i}:{}});try{await V(X(a),{recursive:!0});let s=await q(a).catch(r=>{if(r.code!=="ENOENT")throw r});if(!s)return await v(a,t.text,{flag:"wx"}),n("created");if(!s.isFile())return n("failed","not a regular file (a symbolic link or a folder): left alone");let i=await Q(a,"utf8");if(t.kind==="lines"){let r=N(i,t.text);return r?(await v(a,r.text),n("appended",`${r.added} line(s)`)):n("unchanged")}return i===t.text?n("unchanged"):o?(await v(a,t.text),n("replaced")):n("skipped","exists: left as it is (--force replaces it)")}catch(s){let i=s.code??"error";return n("failed",`cannot write: ${i}`)}}export{ue as initCommand};

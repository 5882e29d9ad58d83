import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as b,c as T,e as k,f as I,g as x}from"./chunk-IAV6UIWF.js";import"./chunk-COW5GPTI.js";import"./chunk-FQTIWZJZ.js";import{a as g}from"./chunk-YNLNTV4W.js";import{b as w}from"./chunk-2S5M77H7.js";import"./chunk-ORRTYNVY.js";import{b as h}from"./chunk-STF3I3OV.js";import{a as y}from"./chunk-UHAACR3A.js";import"./chunk-6YXNE7OO.js";import"./chunk-YIEWQOK2.js";import"./chunk-YT7T6RB5.js";import{a as c,b as m,d as l,f as p,g as f}from"./chunk-BMCYM6BZ.js";import"./chunk-7GNAQJNB.js";import"./chunk-54IBFPAE.js";import"./chunk-LIQU27LZ.js";import{resolve as E}from"node:path";function O(t,e){let s=t[e];if(typeof s!="string")return;let r=y(s);if(r===void 0)throw new m(`--${e} must be a date (2026-11-01) or an ISO 8601 time (2026-11-01T08:00:00Z), UTC unless it says otherwise`);return r}var V={name:"audit",summary:"report every release attempt of a period, from the ledger (CSV, markdown, JSON)",options:{ledger:{type:"string"},since:{type:"string"},until:{type:"string"},account:{type:"string",multiple:!0},format:{type:"string"},"summary-only":{type:"boolean"}},help:`Usage: quarantine-release audit [--ledger DIR] [--since TIME] [--until TIME] [--account ID]...
                                [--format text|csv|markdown|json] [--summary-only]

Reports every release attempt the ledger records in a period, for an audit: one row per
attempt (a message's records of one account, id and attempt), with its outcome, recipients,
error, the message's disposition, the request's reason, ticket, requester, pull request,
approvers, commit, run and actor, the search that asked for it (its selector; empty for an
id entry), and the times of its first and last records. Then a summary: attempts by
outcome, by entry (id or search), by disposition, by requester and by month. Reads the ledger
only; no network, no credentials.

An attempt's outcome is its latest record. What was asked, and by whom, comes from its
latest pending record not marked "sent": false (written just before the request was sent),
or from its latest record when it has none. An attempt belongs to the period of the time of
its first record. The ledger is read line by line, twice; memory grows with the number of
attempts in the period, not with the size of the ledger.

Options:
  --ledger DIR        the ledger directory (default: releases.ledger); it must exist
  --since TIME        attempts whose first record is at or after TIME (inclusive)
  --until TIME        ... and before TIME (exclusive); TIME is a date, 2026-11-01 (midnight
                      UTC), or an ISO 8601 time, 2026-11-01T08:30:00Z; a time without Z or an
                      offset is UTC. Default: from the first record to the last.
  --account ID        only this account (repeatable)
  --format FORMAT     text (default), csv (RFC 4180, the rows only), markdown or json (one line:
                      {period, accounts, summary, rows})
  --summary-only      the summary without the rows (text, markdown, json)
  -h, --help          show this help

CSV cells that a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a
carriage return) start with an apostrophe. In markdown, every cell is escaped: no mention,
link, HTML or table break gets through.

Exit codes: 0 reported, 1 corrupt ledger or no ledger directory, 2 usage error.
`,async run(t,e){let s=l(t,"ledger","releases.ledger"),r=f(t,"format",["text","csv","markdown","json"],"text"),n=t["summary-only"]===!0;if(n&&r==="csv")throw new m("--summary-only has no CSV form: use --format text, markdown or json");let v=p(t),u={},i=O(t,"since"),a=O(t,"until");if(i!==void 0&&(u.since=i),a!==void 0&&(u.until=a),i!==void 0&&a!==void 0&&i>=a)throw new m("--since must be before --until");let C=w(E(e.cwd,s),{skip:!0,log:g(e)}),o=await x(C,{period:u,accounts:v});if(o.kind==="invalid")return e.stderr(h(o.errors)),o.more>0&&e.stderr(`... and ${o.more} more problems
`),e.stderr(`The ledger cannot be read: nothing is reported until it is repaired.
`),c.invalid;let{report:d}=o;return r==="csv"?b(d.rows,e.stdout):r==="json"?I(d,e.stdout,{summaryOnly:n}):r==="markdown"?T(d,e.stdout,n):k(d,e.stdout,n),c.ok}};export{V as auditCommand};

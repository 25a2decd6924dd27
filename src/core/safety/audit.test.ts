import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditLog, canonicalJson, genesisHash, hashAuditEntry, sha256Hex, verifyAuditChain } from './audit';
import type { AuditEntry } from './audit';

function sampleLog(): AuditLog {
  const log = new AuditLog();
  log.append(1_000, 'budget.spend', 'system', { taskType: 'planTask', tokens: 1200 });
  log.append(2_000, 'waiver.proposed', 'ana', { waiverId: 'w1', delta: 5000, reason: 'emergency_hotfix' });
  log.append(3_000, 'waiver.activated', 'ben', { waiverId: 'w1' });
  log.append(4_000, 'budget.exhausted', 'system', { taskType: 'planTask', period: 'day', spent: 21_000, limit: 20_000 });
  log.append(5_000, 'budget.fallback', 'system', { requestId: 'r9', armIndex: 0 });
  return log;
}

test('SHA-256 of "abc" is the FIPS 180-2 test vector ba7816bf…15ad', () => {
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('canonical JSON sorts keys at every depth, drops undefined members and refuses NaN', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, 'x', null], c: true }, e: undefined }), '{"a":{"c":true,"d":[1,"x",null]},"b":1}');
  assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
  assert.throws(() => canonicalJson({ a: Number.NaN }), /NaN/);
});

test('a chain of 5 entries verifies: entry 0 links to the genesis hash, each later one to its predecessor', () => {
  const log = sampleLog();
  const entries = log.entries;
  assert.equal(entries[0]?.prevHash, genesisHash);
  for (let i = 1; i < entries.length; i++) assert.equal(entries[i]?.prevHash, entries[i - 1]?.hash);
  const result = log.verify();
  assert.deepEqual(result, { ok: true, length: 5, headHash: entries[4]?.hash });
});

test('an edited payload (tokens 1200 → 120 in entry 0) is detected at index 0', () => {
  const entries = structuredClone([...sampleLog().entries]);
  (entries[0] as AuditEntry).payload.tokens = 120;
  const result = verifyAuditChain(entries);
  assert.equal(result.ok, false);
  assert.equal(result.ok ? -1 : result.firstBadIndex, 0);
  assert.equal(result.ok ? '' : result.problem, 'hash');
});

test('an edit that also recomputes the entry hash is caught by the next entry (index 3 of 5)', () => {
  const entries = structuredClone([...sampleLog().entries]);
  const e2 = entries[2] as AuditEntry;
  e2.actor = 'mallory';
  e2.hash = hashAuditEntry(e2);
  const result = verifyAuditChain(entries);
  assert.equal(result.ok ? -1 : result.firstBadIndex, 3);
  assert.equal(result.ok ? '' : result.problem, 'prevHash');
});

test('a removed entry (index 1 of 5) is detected at index 1', () => {
  const entries = structuredClone([...sampleLog().entries]);
  entries.splice(1, 1);
  const result = verifyAuditChain(entries);
  assert.equal(result.ok ? -1 : result.firstBadIndex, 1);
});

test('two swapped entries (3 and 4) are detected at index 3', () => {
  const entries = structuredClone([...sampleLog().entries]);
  const [a, b] = [entries[3] as AuditEntry, entries[4] as AuditEntry];
  entries[3] = b;
  entries[4] = a;
  const result = verifyAuditChain(entries);
  assert.equal(result.ok ? -1 : result.firstBadIndex, 3);
});

test('a cut-off tail (5 → 3 entries) is detected against the recorded head, not without it', () => {
  const log = sampleLog();
  const head = log.head();
  const cut = log.entries.slice(0, 3);
  assert.equal(verifyAuditChain(cut).ok, true);
  const result = verifyAuditChain(cut, head);
  assert.equal(result.ok ? -1 : result.firstBadIndex, 3);
  assert.equal(result.ok ? '' : result.problem, 'truncated');
  assert.equal(verifyAuditChain(log.entries, head).ok, true);
});

test('a log resumes from persisted entries and refuses to extend a broken chain', () => {
  const entries = structuredClone([...sampleLog().entries]);
  const resumed = new AuditLog(entries);
  const e = resumed.append(6_000, 'waiver.expired', 'system', { waiverId: 'w1' });
  assert.equal(e.index, 5);
  assert.equal(e.prevHash, entries[4]?.hash);
  assert.equal(resumed.verify().ok, true);
  assert.equal(resumed.since(5).length, 1);
  (entries[2] as AuditEntry).kind = 'waiver.revoked';
  assert.throws(() => new AuditLog(entries), /entry 2/);
});

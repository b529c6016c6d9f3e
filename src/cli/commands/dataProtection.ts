import type { Command } from 'commander';
import { parseChainHead } from '../../security/auditChain.js';
import type { ComplianceReport } from '../../security/compliance.js';
import { rotateKeys } from '../../security/keyRotation.js';
import type { System } from '../../system.js';
import { print, reportAndExit, viaServerOrDb, withSystem } from '../context.js';

/**
 * `bsm keys rotate` (database only: it rewrites ciphertexts), `bsm audit verify` and
 * `bsm compliance` (database, or a server with --url): each exits 1 when something is wrong.
 */
export function registerDataProtectionCommands(program: Command): void {
  program
    .command('keys')
    .description('Encryption keys')
    .command('rotate')
    .description('Re-encrypt every stored ciphertext under the current ENCRYPTION_KEY')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      try {
        const report = await withSystem((s) => rotateKeys(s.db, s.crypto));
        print(report, Boolean(o.json), () =>
          [
            ...report.columns.map(
              (c) =>
                `${c.table}.${c.column}: ${c.rotated} re-encrypted, ${c.alreadyCurrent} already current, ${c.failed} failed`,
            ),
            `current key id ${report.currentKeyId}`,
          ].join('\n'),
        );
        if (report.failed) process.exitCode = 1;
      } catch (error) {
        reportAndExit(error);
      }
    });

  program
    .command('audit')
    .description('Audit log')
    .command('verify')
    .description('Walk the audit hash chain and report the first broken link (exit 1 when broken)')
    .option('--head <seq:hash>', 'a head recorded earlier: fail if the chain no longer contains it')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean; head?: string }, command: Command) => {
      try {
        const head = o.head === undefined ? undefined : parseChainHead(o.head);
        if (head === null) throw new Error('--head must be <seq>:<64 hex characters>, as verify prints it');
        const query = head ? `?head=${head.seq}:${head.hash}` : '';
        const result = await viaServerOrDb(
          command,
          (api) => api.get<Awaited<ReturnType<System['audit']['verify']>>>(`/api/audit/verify${query}`),
          (s) => s.audit.verify(head),
        );
        print(result, Boolean(o.json), () =>
          result.ok
            ? `audit chain intact: ${result.checked} row(s) verified${result.head ? `; head ${result.head.seq}:${result.head.hash}` : ''}`
            : `audit chain BROKEN at ${result.firstBrokenId ? `row ${result.firstBrokenId} ` : ''}(seq ${result.firstBrokenSeq ?? '-'}, ${result.reason}) after ${result.checked} row(s)`,
        );
        if (!result.ok) process.exitCode = 1;
      } catch (error) {
        reportAndExit(error);
      }
    });

  program
    .command('compliance')
    .description('Security compliance checks with advice (exit 1 when a check fails)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, command: Command) => {
      try {
        const report = await viaServerOrDb(
          command,
          (api) => api.get<ComplianceReport>('/api/security/compliance'),
          (s) => s.compliance.run(),
        );
        print(report, Boolean(o.json), () =>
          [
            ...report.checks.map(
              (c) =>
                `${c.status === 'pass' ? 'PASS' : 'FAIL'}  ${c.id}: ${c.detail}${c.advice ? `\n      → ${c.advice}` : ''}`,
            ),
            `${report.passed} passed, ${report.failed} failed`,
          ].join('\n'),
        );
        if (!report.ok) process.exitCode = 1;
      } catch (error) {
        reportAndExit(error);
      }
    });
}

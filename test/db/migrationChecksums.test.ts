import { describe, expect, it } from 'vitest';
import { loadMigrations } from '../../src/db/migrate.js';

/**
 * A shipped migration is a promise to every database that applied it: the runner refuses to start
 * when an applied file's checksum changed. This list pins the SHA-256 of every shipped file.
 * Add a line for a new migration; never change a line.
 */
const SHIPPED: Record<string, string> = {
  '001_agents': 'fd5554ef9725f583fa99bfd77ad71332b87c5d585c4a193f93ece9bf4145cf3d',
  '002_tasks': 'e4a2a09adc7a9fc91186b1ddeb6beac455d5511cb1a0300fccb7b55d52b8d77c',
  '003_users': 'f43bb5554ddf8aff145a58bc738de3d100875ce40711bbbcef9bdad9eef26ce3',
  '004_audit_logs': '9d2d82466a37c406230861766faed3a572c36bd9c5fc75d5922bed1be23254e1',
  '005_ml_models': '6c885babf885c6b8d68eac780ae47a2a791595ccbc73c8913a1a5e24dde36319',
  '006_agent_executions': '201a733e99b5d7bd52cd5de3ccb6323a58c658bdac90316e370bb43aad37a66d',
  '007_agents_search': '9293e3d4b3cf9ed0e3d9a26eef5dcf0c639ae0f76614559c3fbdb3ce8d46d0fc',
  '008_task_queue': 'b21317e17ec149b8a83d5c781082a60d289d0f8cf19ee0b0b037700c95ec3b8a',
  '010_refresh_tokens': '489bc74cbb7f5f2f954fb93c2cdb9102adc778e4e94712efcebe08647314f0c5',
  '011_user_token_cutoffs': '709d3379999ae794414b215ee4b71ac3832518152db8ba8b6bc59154139ecc16',
  '012_api_keys': 'ee22e40ba5d7b7e09a71351ca48ebb34376dcdbebaf4aa199946930ac3032fc6',
  '013_security_threats': 'ec421d9cb5120f7b97f18010a31743d355a9b4f4e3afb9261b3a328074c3a6a8',
  '015_audit_chain': '7f6e0dd5a06bcf746262337d52875bd4b3e3ec3b3131c16704455ea0d9db6cad',
  '016_secrets': '006801f204dea93b5fa233eed0aa3dec8d0755be2470c015572bd4f0cd462776',
  '020_workflows': '31ea7a7199484530a5233604f32d3f508be4660f15ea7fcc77ced30e6dc35939',
  '030_durable_waits': '5513aed570e729f7c19c3fed341483823c35cec2a067c53914347f6dea08f427',
};

describe('shipped migrations', () => {
  const migrations = loadMigrations();

  it('keep the checksums they shipped with', () => {
    const actual = Object.fromEntries(migrations.map((m) => [m.name, m.checksum]));
    for (const [name, checksum] of Object.entries(SHIPPED)) {
      expect(actual[name], `${name} was edited or removed; add a new migration instead`).toBe(checksum);
    }
  });

  it('are all pinned in this list', () => {
    const unpinned = migrations.map((m) => m.name).filter((name) => !(name in SHIPPED));
    expect(unpinned, 'pin the checksum of each new migration above').toEqual([]);
  });
});

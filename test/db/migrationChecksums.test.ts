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
  '021_username_case_insensitive': 'ed9e900170de007eaaa134fb93d5515fc60bd6cfb5fbcfdb0d30e19e36caaa8e',
  '023_audit_chain_hmac': '1b4e8e04a8de9fc3233b23a3c887b884a2130dcdc1379e3e4f66056713fd809a',
  '024_tasks_claim_run_at': '5198d16cb08cf9c78dd04691f26434635337e29459213162616c18191edda1ea',
  '026_users_must_change_password': '7a3a97d5eeb0ea39ed7d9c56976ac1b2e3247e1e388e89b8917fe405f3856ae0',
  '027_key_fingerprints': 'cf3fcfadbbb6021909703d4b56fa29f9b7b53cd80d0ab56b1226f9722666ebc8',
  '030_durable_waits': '5513aed570e729f7c19c3fed341483823c35cec2a067c53914347f6dea08f427',
  '032_threads': 'a8fa39d0ad6de4b2efa2d8de9681d8762bbc8b3ce13d6cdc3b0f21e5ffb15b6a',
  '033_event_log': 'ee9d06317c01e0bf3bd1b1bf81be322777ed870a7a38e4b299dfcd418d3b824f',
  '034_usage_budgets': '5ec5a17e7d617a7194305112c130b67d6f5ac767fc320be060b8234299ed9042',
  '035_schedules': '952a0365691488278285388eeeffe4bbee562cd7c2ae732031e1fcf9256d1b60',
  '036_task_agent_handle': 'cc577493654c86b94591ee91b62f9a190da8295d3379c83232c1123951fbd8c6',
  '037_task_traceparent': 'c3191b98df54233ef6a9f9c71c19e15a04fdee9b8cc23d65ab74c064d62c458c',
  '038_resume_waiting_lock': 'c5260d5ac94139bdb6aba5b2ca721a39d72931cf496888f93996b83bd96e65ea',
  '039_user_daily_spend': 'b2dd786b38f40fee86044636cefb7f63778715e9316bf96fac471b5133afd0e8',
  '040_event_log_sweep_by_seq': '29e6469889b89ee21f0d1d01dedce4644f6969f42d1e9bef635812f73de9f6c4',
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

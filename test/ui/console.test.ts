/**
 * The web console in a real browser (SPEC §13): Debian's Chromium against a live server on a
 * random port, the console as `npm run build` bundled it. One browser session walks through the
 * README's steps; every request it makes is recorded (nothing may leave our origin) and axe-core
 * checks the pages. `BSM_SCREENSHOTS=1` also writes the screenshots in docs/console/.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIR } from '../../src/api/console.js';
import { createCaller, TEST_PASSWORD, type TestCaller } from '../helpers/auth.js';
import { chromiumAvailable, launchChromium } from '../helpers/browser.js';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

const built = (() => {
  try {
    readFileSync(path.join(CONSOLE_DIR, 'index.html'));
    return true;
  } catch {
    return false;
  }
})();
const ready = chromiumAvailable() && built;
if (!ready) {
  console.warn(
    chromiumAvailable()
      ? 'console browser tests skipped: the console is not built (run `npm run build`)'
      : 'console browser tests skipped: no Chromium at /usr/bin/chromium (apt-get install -y chromium; CI installs it)',
  );
}
const SHOTS = process.env.BSM_SCREENSHOTS ? path.resolve('docs/console') : undefined;
const AXE = readFileSync(path.resolve('node_modules/axe-core/axe.min.js'), 'utf8');

// A real browser on a loaded machine: generous bounds (never timing assertions).
describe.skipIf(!ready)('web console in Chromium', { timeout: 120_000 }, () => {
  let t: TestSystem;
  let base: string;
  let admin: TestCaller;
  let viewer: TestCaller;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  let documentLoads = 0;

  beforeAll(async () => {
    t = await createTestSystem(dbTargets[0], {
      BSM_LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
      BSM_RATE_LIMIT_PER_MINUTE: '100000',
      BSM_POLL_INTERVAL_MS: '50',
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    admin = await createCaller(t.system, 'admin', 'ada');
    viewer = await createCaller(t.system, 'viewer', 'vic');
    await t.system.agents.create({
      agentId: 'echo-ui',
      name: 'Echo',
      role: 'Repeat the prompt.',
      modelProvider: 'echo',
    });
    browser = await launchChromium();
    context = browser.context;
    context.on('request', (r) => requests.push(r.url()));
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('dialog', (d) => d.accept());
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) documentLoads += 1;
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const shot = async (name: string) => {
    if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
  };
  const nav = (name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
  const heading = (text: string | RegExp) => page.getByRole('heading', { level: 1, name: text });

  /** axe-core in the page (evaluated over the DevTools protocol, so the page's CSP stays as is). */
  const axe = async (where: string) => {
    await page.evaluate(AXE);
    const violations = (await page.evaluate(
      `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) })))`,
    )) as Array<{ id: string; impact: string; nodes: string[] }>;
    const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious, `${where}: ${JSON.stringify(serious)}`).toEqual([]);
  };

  const signIn = async (username: string, password: string) => {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  it('GET / lands on the console, whose page forbids inline and foreign scripts', async () => {
    const answer = await page.goto(`${base}/`);
    expect(page.url()).toBe(`${base}/ui/`);
    const csp = (await answer!.allHeaders())['content-security-policy'];
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    await expect.poll(() => page.getByRole('button', { name: 'Sign in' }).count()).toBe(1);
    await axe('login');
    await shot('login');
  });

  it('refuses a wrong password and says so, staying on the login page', async () => {
    await signIn('ada', 'not-the-password-1');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('Invalid username or password');
    expect((await context.cookies()).find((c) => c.name === 'token')).toBeUndefined();
  });

  it('logs in by keyboard alone; the session is an HttpOnly cookie and nothing is in storage', async () => {
    await page.reload();
    await page.getByLabel('Username').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.name')).toBe('username');
    await page.keyboard.type('ada');
    await page.keyboard.press('Tab');
    await page.keyboard.type(TEST_PASSWORD);
    await page.keyboard.press('Enter');
    await heading('Overview').waitFor();
    const cookie = (await context.cookies()).find((c) => c.name === 'token');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(await page.evaluate('[localStorage.length, sessionStorage.length, document.cookie]')).toEqual([
      0,
      0,
      '',
    ]);
    // A visible focus ring on keyboard focus.
    await page.keyboard.press('Tab');
    const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).not.toBe('none');
  });

  it('creates an agent from the agents page; its address reloads', async () => {
    await nav('Agents').click();
    await heading('Agents').waitFor();
    await page.getByRole('button', { name: 'New agent' }).click();
    await page.getByLabel('Agent id').fill('ui-helper');
    await page.getByLabel('Name', { exact: true }).fill('UI helper');
    await page.getByLabel('Role prompt').fill('You help from the browser.');
    await shot('agent-create');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await heading('Agent ui-helper').waitFor();
    expect(page.url()).toBe(`${base}/ui/agents/ui-helper`);
    expect((await t.system.agents.get('ui-helper')).name).toBe('UI helper');
    await page.reload();
    await heading('Agent ui-helper').waitFor();
    await axe('agent detail');
    await shot('agent');
  });

  it('cancels a pending task from its page, then retries it', async () => {
    // The queue is not running yet: the task waits, so there is something to cancel.
    await page.goto(`${base}/ui/tasks`);
    await page.getByLabel('Prompt').fill('cancel me');
    await page.getByRole('button', { name: 'Submit task' }).click();
    await heading(/^Task task_/).waitFor();
    const taskId = decodeURIComponent(page.url().split('/ui/tasks/')[1]);
    await page.getByTestId('task-status').getByText('pending').waitFor();
    await page.getByRole('button', { name: 'Cancel task' }).click();
    await page.getByTestId('task-status').getByText('cancelled').waitFor();
    expect((await t.system.queue.get(taskId)).status).toBe('cancelled');
    await page.getByRole('button', { name: 'Retry task' }).click();
    await page.getByTestId('task-status').getByText('pending').waitFor();
    expect((await t.system.queue.get(taskId)).status).toBe('pending');
  });

  it('shows a submitted task turning completed live, without reloading', async () => {
    await page.goto(`${base}/ui/tasks`);
    await page.getByLabel('Prompt').fill('hello from the browser');
    await page.getByRole('button', { name: 'Submit task' }).click();
    await heading(/^Task task_/).waitFor();
    await page.getByTestId('task-status').getByText('pending').waitFor();
    const loads = documentLoads;
    await t.system.queue.start();
    await page.getByTestId('task-status').getByText('completed').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('task-output').textContent()).toBe('hello from the browser');
    expect(documentLoads).toBe(loads);
    await axe('task detail');
    await shot('task');
  });

  it('bulk-retries failed tasks by filter from the tasks page', async () => {
    const { task } = await t.system.queue.submit({
      agentId: 'echo-ui',
      input: { prompt: 'again' },
      createdBy: admin.user.id,
    });
    await t.system.queue.waitForTask(task.taskId, 30_000);
    await t.system.db.query(`UPDATE tasks SET status = 'failed', error = 'boom' WHERE task_id = $1`, [
      task.taskId,
    ]);
    await page.goto(`${base}/ui/tasks?status=failed`);
    await page.locator(`tr[data-task="${task.taskId}"]`).waitFor();
    await page.getByRole('button', { name: 'Retry all failed matching' }).click();
    await page.getByRole('status').getByText('1 task put back in the queue.').waitFor();
    expect(await t.system.queue.waitForTask(task.taskId, 30_000)).toMatchObject({ status: 'completed' });
    await page.goto(`${base}/ui/tasks`);
    await heading('Tasks').waitFor();
    await axe('tasks');
    await shot('tasks');
  });

  it('draws a workflow and follows a run to completion', async () => {
    const workflow = await t.inject({
      method: 'POST',
      url: '/api/workflows',
      payload: {
        workflowId: 'brief',
        name: 'Research brief',
        definition: {
          steps: [
            { id: 'research', agentId: 'echo-ui', input: { prompt: 'facts about {{input.topic}}' } },
            { id: 'outline', agentId: 'echo-ui', input: { prompt: 'outline of {{input.topic}}' } },
            {
              id: 'write',
              agentId: 'echo-ui',
              dependsOn: ['research', 'outline'],
              input: { prompt: '{{steps.research.output.text}} / {{steps.outline.output.text}}' },
            },
          ],
        },
      },
    });
    expect(workflow.statusCode).toBe(201);
    await page.goto(`${base}/ui/workflows/brief`);
    await page
      .getByRole('img', { name: /Workflow graph: research; outline; write after research and outline/ })
      .waitFor();
    await shot('workflow');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.getByTestId('run-status').getByText('completed').waitFor({ timeout: 60_000 });
    await page.getByRole('img', { name: /write after research and outline \(completed\)/ }).waitFor();
    const runId = page.url().split('/ui/runs/')[1];
    await page.getByRole('link', { name: 'brief' }).click();
    await page.getByRole('link', { name: runId.slice(0, 8) }).waitFor();
    await page.getByRole('link', { name: runId.slice(0, 8) }).click();
    await page.getByTestId('run-status').getByText('completed').waitFor();
    await axe('workflow run');
    await shot('workflow-run');
  });

  it('offers the approvals, threads, schedules and usage pages exactly when this server answers their routes', async () => {
    await page.goto(`${base}/ui/`);
    await heading('Overview').waitFor();
    await nav('Secrets').waitFor();
    for (const [name, url] of [
      ['Approvals', '/api/approvals?limit=1'],
      ['Threads', '/api/threads?limit=1'],
      ['Schedules', '/api/schedules?limit=1'],
      ['Usage and cost', '/api/usage?groupBy=agent'],
    ]) {
      const answers = (await t.inject(url)).statusCode === 200;
      await expect.poll(() => nav(name).count(), { timeout: 5_000 }).toBe(answers ? 1 : 0);
    }
  });

  it('approves a waiting workflow step from the approvals inbox; the run then completes', async () => {
    const created = await t.inject({
      method: 'POST',
      url: '/api/workflows',
      payload: {
        workflowId: 'gated',
        name: 'Gated publish',
        definition: {
          steps: [
            { id: 'review', type: 'approval', message: 'Publish {{input.topic}}?' },
            {
              id: 'publish',
              agentId: 'echo-ui',
              dependsOn: ['review'],
              input: { prompt: 'published {{input.topic}}' },
            },
          ],
        },
      },
    });
    expect(created.statusCode).toBe(201);
    const started = await t.inject({
      method: 'POST',
      url: '/api/workflows/gated/runs',
      payload: { input: { topic: 'tides' } },
    });
    expect(started.statusCode).toBe(202);
    const runId = started.json().runId as string;
    await page.goto(`${base}/ui/approvals`);
    const card = page.getByRole('region', { name: 'Workflow step review' });
    await card.getByText('Publish tides?').waitFor({ timeout: 30_000 });
    await axe('approvals inbox');
    await card.getByLabel('Comment').fill('ship it');
    await card.getByRole('button', { name: 'Approve' }).click();
    await expect
      .poll(async () => (await t.inject(`/api/workflow-runs/${runId}`)).json().status, { timeout: 60_000 })
      .toBe('completed');
    const decided = (await t.inject(`/api/approvals?runId=${runId}`)).json().items;
    expect(decided).toEqual([expect.objectContaining({ status: 'approved', comment: 'ship it' })]);
  });

  it('shows the overview, audit log (verified), security and users pages', async () => {
    await page.goto(`${base}/ui/`);
    await heading('Overview').waitFor();
    await expect.poll(() => page.getByTestId('count-completed').textContent()).not.toBe('0');
    await axe('overview');
    if (SHOTS) await page.waitForTimeout(16_000); // a few samples, so the charts have lines
    await shot('overview');
    await nav('Audit log').click();
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page
      .getByRole('status')
      .getByText(/The chain is intact/)
      .waitFor();
    await axe('audit');
    await shot('audit');
    await nav('Security').click();
    await page.getByRole('heading', { name: 'Compliance' }).waitFor();
    await axe('security');
    await shot('security');
    await nav('Users').click();
    await page.getByRole('cell', { name: 'vic', exact: true }).waitFor();
    await axe('users');
    await shot('users');
  });

  it('logs out: the cookie is gone and the API no longer answers the old session', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect((await context.cookies()).find((c) => c.name === 'token')).toBeUndefined();
    const me = await page.evaluate(`fetch('/api/auth/me').then((r) => r.status)`);
    expect(me).toBe(401);
  });

  it('does not offer a viewer any write action', async () => {
    await signIn('vic', TEST_PASSWORD);
    await heading('Overview')
      .waitFor({ state: 'detached' })
      .catch(() => undefined);
    await nav('Agents').waitFor();
    const navText = await page.getByRole('navigation', { name: 'Main' }).textContent();
    for (const hidden of ['Users', 'Secrets', 'Audit log', 'Security', 'Overview'])
      expect(navText).not.toContain(hidden);
    await nav('Agents').click();
    await page.getByRole('link', { name: 'ui-helper' }).waitFor();
    expect(await page.getByRole('button', { name: 'New agent' }).count()).toBe(0);
    await page.getByRole('link', { name: 'ui-helper' }).click();
    await heading('Agent ui-helper').waitFor();
    for (const name of ['Edit', 'Deactivate', 'Delete'])
      expect(await page.getByRole('button', { name }).count()).toBe(0);
    await nav('Tasks').click();
    await heading('Tasks').waitFor();
    expect(await page.getByRole('button', { name: 'Submit task' }).count()).toBe(0);
    await page.getByLabel('Status').selectOption('cancelled');
    expect(await page.getByRole('button', { name: /Retry all/ }).count()).toBe(0);
    const { task } = await t.system.queue.submit({
      agentId: 'echo-ui',
      input: { prompt: 'v' },
      createdBy: viewer.user.id,
    });
    await t.system.queue.waitForTask(task.taskId, 30_000);
    await page.goto(`${base}/ui/tasks/${task.taskId}`);
    await page.getByTestId('task-status').getByText('completed').waitFor();
    for (const name of ['Cancel task', 'Retry task'])
      expect(await page.getByRole('button', { name }).count()).toBe(0);
    await page.goto(`${base}/ui/workflows/brief`);
    await heading('Workflow brief').waitFor();
    expect(await page.getByRole('button', { name: 'Start run' }).count()).toBe(0);
  });

  it('made no request to another origin and broke no Content-Security-Policy rule', () => {
    expect(requests.length).toBeGreaterThan(20);
    const foreign = requests.filter((url) => !url.startsWith(`${base}/`) && !url.startsWith('data:'));
    expect(foreign).toEqual([]);
    expect(consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
  });
});

/**
 * `bsm chat <agentId> [--thread id]`: a conversation in the terminal. Each line you type is a
 * message on the thread; the answer prints as the model writes it. Ctrl-D (end of input) or
 * Ctrl-C ends the session cleanly; the thread stays (continue it with --thread).
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { Task } from '../../domain.js';
import type { System } from '../../system.js';
import type { ApiClient } from '../apiClient.js';
import { remoteClient, reportAndExit, withSystem } from '../context.js';
import { followTaskLocal, followTaskRemote } from '../taskStream.js';

/** One conversation backend: the server's API or this process's own System. */
interface ChatBackend {
  open(threadId: string | undefined): Promise<string>;
  /** Sends a message; `done` prints the answer as it streams and resolves with the terminal event. */
  say(
    threadId: string,
    content: string,
    onText: (t: string) => void,
  ): Promise<{ taskId: string; done: Promise<string | undefined> }>;
  /** Stops an answer (Ctrl-C while it streams). */
  cancel(taskId: string): Promise<void>;
}

function remoteBackend(api: ApiClient, agentId: string): ChatBackend {
  return {
    async open(threadId) {
      if (threadId)
        return (await api.get<{ threadId: string }>(`/api/threads/${encodeURIComponent(threadId)}`)).threadId;
      return (await api.post<{ threadId: string }>('/api/threads', { agentId })).threadId;
    },
    async say(threadId, content, onText) {
      const task = await api.post<Task>(`/api/threads/${encodeURIComponent(threadId)}/messages`, {
        content,
        multitask: 'enqueue',
      });
      return { taskId: task.taskId, done: followTaskRemote(api, task.taskId, onText) };
    },
    async cancel(taskId) {
      await api.post(`/api/tasks/${encodeURIComponent(taskId)}/cancel`).catch(() => undefined);
    },
  };
}

function localBackend(s: System, agentId: string): ChatBackend {
  return {
    async open(threadId) {
      // On the embedded database nobody else runs the turns: this process does.
      if (s.db.driver === 'pglite') await s.queue.start();
      if (threadId) return (await s.repos.threads.find(threadId)).threadId;
      const thread = await s.threads.create({ agentId, createdBy: null });
      await s.audit.record({
        action: 'thread.create',
        resourceType: 'thread',
        resourceId: thread.threadId,
        details: { agentId, via: 'cli' },
      });
      return thread.threadId;
    },
    async say(threadId, content, onText) {
      const { task } = await s.threads.send({ threadId, content, multitask: 'enqueue', createdBy: null });
      return { taskId: task.taskId, done: followTaskLocal(s, task.taskId, onText) };
    },
    async cancel(taskId) {
      await s.queue.cancel(taskId).catch(() => undefined);
    },
  };
}

async function converse(backend: ChatBackend, threadIdOption: string | undefined): Promise<void> {
  const threadId = await backend.open(threadIdOption);
  const interactive = Boolean(process.stdin.isTTY);
  process.stderr.write(`thread ${threadId}${interactive ? ' (Ctrl-D or Ctrl-C to leave)' : ''}\n`);
  const rl = createInterface({ input: process.stdin, terminal: interactive, prompt: 'you> ' });
  let leaving = false;
  let interrupted: (() => void) | undefined;
  const leave = () => {
    if (leaving) return;
    leaving = true;
    interrupted?.();
    rl.close();
  };
  rl.on('SIGINT', leave);
  process.once('SIGINT', leave);
  if (interactive) rl.prompt();
  for await (const line of rl) {
    const content = line.trim();
    if (content && !leaving) {
      const turn = await backend.say(threadId, content, (t) => process.stdout.write(t));
      // Ctrl-C during an answer stops it (it leaves no turn in the thread) and ends the session.
      const stopped = new Promise<'interrupted'>((resolve) => {
        interrupted = () => resolve('interrupted');
      });
      const end = await Promise.race([turn.done, stopped]);
      interrupted = undefined;
      process.stdout.write('\n');
      if (end === 'interrupted') await backend.cancel(turn.taskId);
      else if (end && end !== 'task:completed') process.stderr.write(`(${end.slice(5)})\n`);
    }
    if (leaving) break;
    if (interactive) rl.prompt();
  }
  process.removeListener('SIGINT', leave);
  process.stderr.write(`bye — continue with: bsm chat <agentId> --thread ${threadId}\n`);
}

export function registerChatCommand(program: Command): void {
  program
    .command('chat <agentId>')
    .description('Talk with an agent: each line is a message, answers stream as they are written')
    .option('--thread <threadId>', 'continue this thread')
    .action(async (agentId: string, o: { thread?: string }, command: Command) => {
      try {
        const api = remoteClient(command);
        if (api) await converse(remoteBackend(api, agentId), o.thread);
        else await withSystem((s) => converse(localBackend(s, agentId), o.thread));
      } catch (error) {
        reportAndExit(error);
      }
    });
}
